
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
            cand start 'Run the proxy on 127.0.0.1:9339 in the foreground'
            cand scan 'Scan files, directories, stdin or the staged git changes for secrets'
            cand redact 'Rewrite a file or stdin: rename declared identifiers, replace secrets, PII and terms'
            cand restore 'Put the originals back into text that `redact` (or the proxy) rewrote'
            cand vault 'Inspect or clear what pretense remembers (names, terms, PII; never secrets)'
            cand audit 'Show the audit log of proxied requests'
            cand completions 'Print a shell completion script'
            cand hook 'Manage the git pre-commit hook'
            cand config 'Print the effective configuration and the paths pretense uses'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pretense;start'= {
            cand --host 'Address to listen on [default: config server.host, 127.0.0.1]'
            cand --port 'Port to listen on (0 picks a free one) [default: config server.port, 9339]'
            cand --token 'Require this access token on every route (header x-pretense-token or /t/<token>/ prefix)'
            cand --anthropic-url 'Anthropic upstream base URL [default: config upstream.anthropic]'
            cand --openai-url 'OpenAI upstream base URL [default: config upstream.openai]'
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
            cand --identifiers 'List declared identifiers in JSON/SARIF for directory scans too (single files always do)'
            cand --include-public 'Also report keys that are public by design (Stripe publishable, Algolia search-only keys)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pretense;redact'= {
            cand --lang 'Parse the whole input as this language (typescript, tsx, javascript, python, go, java)'
            cand --path 'The input''s file path, for the language and `allow_paths` (defaults to FILE)'
            cand -f 'Output format'
            cand --format 'Output format'
            cand --session 'Session id to report (default: a new one)'
            cand --config 'Config file [default: the platform config dir''s pretense/config.toml]'
            cand --data-dir 'Directory for the vault, the audit log and the naming key [default: the platform data dir]'
            cand --color 'When to colour output (NO_COLOR is honoured by `auto`)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pretense;restore'= {
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
        &'pretense;vault'= {
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
            cand list 'List remembered replacements'
            cand forget 'Forget one original (an identifier in any casing, a term, or a PII value)'
            cand clear 'Forget everything'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pretense;vault;list'= {
            cand --kind 'Only this kind: name, pii, term, function, class, email, ip, ...'
            cand -f 'Output format'
            cand --format 'Output format'
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
        &'pretense;vault;forget'= {
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
        &'pretense;vault;clear'= {
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
        &'pretense;vault;help'= {
            cand list 'List remembered replacements'
            cand forget 'Forget one original (an identifier in any casing, a term, or a PII value)'
            cand clear 'Forget everything'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pretense;vault;help;list'= {
        }
        &'pretense;vault;help;forget'= {
        }
        &'pretense;vault;help;clear'= {
        }
        &'pretense;vault;help;help'= {
        }
        &'pretense;audit'= {
            cand -n 'How many rows (newest first)'
            cand --limit 'How many rows (newest first)'
            cand --page 'Page of `--limit` rows (1-based)'
            cand --session 'Only this session'
            cand --since 'Only rows since this time: RFC 3339 or a duration such as 30m, 24h, 7d'
            cand -f 'Output format'
            cand --format 'Output format'
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
            cand start 'Run the proxy on 127.0.0.1:9339 in the foreground'
            cand scan 'Scan files, directories, stdin or the staged git changes for secrets'
            cand redact 'Rewrite a file or stdin: rename declared identifiers, replace secrets, PII and terms'
            cand restore 'Put the originals back into text that `redact` (or the proxy) rewrote'
            cand vault 'Inspect or clear what pretense remembers (names, terms, PII; never secrets)'
            cand audit 'Show the audit log of proxied requests'
            cand completions 'Print a shell completion script'
            cand hook 'Manage the git pre-commit hook'
            cand config 'Print the effective configuration and the paths pretense uses'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pretense;help;start'= {
        }
        &'pretense;help;scan'= {
        }
        &'pretense;help;redact'= {
        }
        &'pretense;help;restore'= {
        }
        &'pretense;help;vault'= {
            cand list 'List remembered replacements'
            cand forget 'Forget one original (an identifier in any casing, a term, or a PII value)'
            cand clear 'Forget everything'
        }
        &'pretense;help;vault;list'= {
        }
        &'pretense;help;vault;forget'= {
        }
        &'pretense;help;vault;clear'= {
        }
        &'pretense;help;audit'= {
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
