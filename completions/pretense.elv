
use builtin;
use str;

set edit:completion:arg-completer[pretense] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'pretense'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'pretense'= {
            cand --config 'Config file [default: the platform config dir''s pretense/config.toml]'
            cand --data-dir 'Directory for the vault, the audit log and the naming key [default: the platform data dir]'
            cand --color 'When to colour output (NO_COLOR is honoured by `auto`)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand scan 'Scan files, directories, stdin or the staged git changes for secrets'
            cand completions 'Print a shell completion script'
            cand hook 'Manage the git pre-commit hook'
            cand config 'Print the effective configuration and the paths pretense uses'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pretense;scan'= {
            cand -f 'Output format'
            cand --format 'Output format'
            cand --fail-on 'Exit 1 when a finding is at least this severe'
            cand --baseline 'Ignore findings recorded in an earlier `--format json` report'
            cand --max-file-bytes 'Skip files larger than this many bytes [default: config scan.max_file_bytes, 10 MiB]'
            cand -j 'Worker threads [default: the number of CPUs]'
            cand --threads 'Worker threads [default: the number of CPUs]'
            cand --config 'Config file [default: the platform config dir''s pretense/config.toml]'
            cand --data-dir 'Directory for the vault, the audit log and the naming key [default: the platform data dir]'
            cand --color 'When to colour output (NO_COLOR is honoured by `auto`)'
            cand --staged 'Scan the staged content of the git index instead of paths'
            cand --no-progress 'Never draw a progress bar'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pretense;completions'= {
            cand --config 'Config file [default: the platform config dir''s pretense/config.toml]'
            cand --data-dir 'Directory for the vault, the audit log and the naming key [default: the platform data dir]'
            cand --color 'When to colour output (NO_COLOR is honoured by `auto`)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pretense;hook'= {
            cand --config 'Config file [default: the platform config dir''s pretense/config.toml]'
            cand --data-dir 'Directory for the vault, the audit log and the naming key [default: the platform data dir]'
            cand --color 'When to colour output (NO_COLOR is honoured by `auto`)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand install 'Write .git/hooks/pre-commit (or core.hooksPath) to scan staged changes before each commit'
            cand uninstall 'Remove the pre-commit hook if pretense wrote it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pretense;hook;install'= {
            cand --config 'Config file [default: the platform config dir''s pretense/config.toml]'
            cand --data-dir 'Directory for the vault, the audit log and the naming key [default: the platform data dir]'
            cand --color 'When to colour output (NO_COLOR is honoured by `auto`)'
            cand --force 'Replace an existing pre-commit hook that pretense did not write'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pretense;hook;uninstall'= {
            cand --config 'Config file [default: the platform config dir''s pretense/config.toml]'
            cand --data-dir 'Directory for the vault, the audit log and the naming key [default: the platform data dir]'
            cand --color 'When to colour output (NO_COLOR is honoured by `auto`)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pretense;hook;help'= {
            cand install 'Write .git/hooks/pre-commit (or core.hooksPath) to scan staged changes before each commit'
            cand uninstall 'Remove the pre-commit hook if pretense wrote it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pretense;hook;help;install'= {
        }
        &'pretense;hook;help;uninstall'= {
        }
        &'pretense;hook;help;help'= {
        }
        &'pretense;config'= {
            cand --config 'Config file [default: the platform config dir''s pretense/config.toml]'
            cand --data-dir 'Directory for the vault, the audit log and the naming key [default: the platform data dir]'
            cand --color 'When to colour output (NO_COLOR is honoured by `auto`)'
            cand --paths 'Print only the paths, one `name = path` per line'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pretense;help'= {
            cand scan 'Scan files, directories, stdin or the staged git changes for secrets'
            cand completions 'Print a shell completion script'
            cand hook 'Manage the git pre-commit hook'
            cand config 'Print the effective configuration and the paths pretense uses'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pretense;help;scan'= {
        }
        &'pretense;help;completions'= {
        }
        &'pretense;help;hook'= {
            cand install 'Write .git/hooks/pre-commit (or core.hooksPath) to scan staged changes before each commit'
            cand uninstall 'Remove the pre-commit hook if pretense wrote it'
        }
        &'pretense;help;hook;install'= {
        }
        &'pretense;help;hook;uninstall'= {
        }
        &'pretense;help;config'= {
        }
        &'pretense;help;help'= {
        }
    ]
    $completions[$command]
}
