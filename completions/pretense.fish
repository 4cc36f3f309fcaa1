# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pretense_global_optspecs
    string join \n config= data-dir= q/quiet v/verbose color= h/help V/version
end

function __fish_pretense_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pretense_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pretense_using_subcommand
    set -l cmd (__fish_pretense_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pretense -n "__fish_pretense_needs_command" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_needs_command" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_needs_command" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_needs_command" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_needs_command" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_needs_command" -s h -l help -d 'Print help'
complete -c pretense -n "__fish_pretense_needs_command" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "start" -d 'Run the proxy on 127.0.0.1:9339 in the foreground'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "scan" -d 'Scan files, directories, stdin or the staged git changes for secrets'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "redact" -d 'Rewrite a file or stdin: rename declared identifiers, replace secrets, PII and terms'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "restore" -d 'Put the originals back into text that `redact` (or the proxy) rewrote'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "vault" -d 'Inspect or clear what pretense remembers (names, terms, PII; never secrets)'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "audit" -d 'Show the audit log of proxied requests'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "hook" -d 'Manage the git pre-commit hook'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "config" -d 'Print the effective configuration and the paths pretense uses'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pretense -n "__fish_pretense_using_subcommand start" -l host -d 'Address to listen on [default: config server.host, 127.0.0.1]' -r
complete -c pretense -n "__fish_pretense_using_subcommand start" -l port -d 'Port to listen on (0 picks a free one) [default: config server.port, 9339]' -r
complete -c pretense -n "__fish_pretense_using_subcommand start" -l token -d 'Require this access token on every route (header x-pretense-token or /t/<token>/ prefix)' -r
complete -c pretense -n "__fish_pretense_using_subcommand start" -l anthropic-url -d 'Anthropic upstream base URL [default: config upstream.anthropic]' -r
complete -c pretense -n "__fish_pretense_using_subcommand start" -l openai-url -d 'OpenAI upstream base URL [default: config upstream.openai]' -r
complete -c pretense -n "__fish_pretense_using_subcommand start" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand start" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand start" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand start" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand start" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand start" -s h -l help -d 'Print help'
complete -c pretense -n "__fish_pretense_using_subcommand start" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand scan" -s f -l format -d 'Output format' -r -f -a "text\t''
json\t''
sarif\t''"
complete -c pretense -n "__fish_pretense_using_subcommand scan" -l fail-on -d 'Exit 1 when a finding is at least this severe' -r -f -a "low\t''
medium\t''
high\t''
critical\t''
never\t'Report only; never exit 1'"
complete -c pretense -n "__fish_pretense_using_subcommand scan" -l baseline -d 'Ignore findings recorded in an earlier `--format json` report' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand scan" -l max-file-bytes -d 'Skip files larger than this many bytes [default: config scan.max_file_bytes, 10 MiB]' -r
complete -c pretense -n "__fish_pretense_using_subcommand scan" -s j -l threads -d 'Worker threads [default: the number of CPUs]' -r
complete -c pretense -n "__fish_pretense_using_subcommand scan" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand scan" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand scan" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand scan" -l staged -d 'Scan the staged content of the git index instead of paths'
complete -c pretense -n "__fish_pretense_using_subcommand scan" -l no-progress -d 'Never draw a progress bar'
complete -c pretense -n "__fish_pretense_using_subcommand scan" -l identifiers -d 'List declared identifiers in JSON/SARIF for directory scans too (single files always do)'
complete -c pretense -n "__fish_pretense_using_subcommand scan" -l include-public -d 'Also report keys that are public by design (Stripe publishable, Algolia search-only keys)'
complete -c pretense -n "__fish_pretense_using_subcommand scan" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand scan" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand scan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pretense -n "__fish_pretense_using_subcommand scan" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand redact" -l lang -d 'Parse the whole input as this language (typescript, tsx, javascript, python, go, java)' -r
complete -c pretense -n "__fish_pretense_using_subcommand redact" -l path -d 'The input\'s file path, for the language and `allow_paths` (defaults to FILE)' -r
complete -c pretense -n "__fish_pretense_using_subcommand redact" -s f -l format -d 'Output format' -r -f -a "text\t'The rewritten text, byte for byte'
json\t'`{ text, session, mutations, secrets, identifiers, pii, terms }`'"
complete -c pretense -n "__fish_pretense_using_subcommand redact" -l session -d 'Session id to report (default: a new one)' -r
complete -c pretense -n "__fish_pretense_using_subcommand redact" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand redact" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand redact" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand redact" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand redact" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand redact" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pretense -n "__fish_pretense_using_subcommand redact" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand restore" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand restore" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand restore" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand restore" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand restore" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand restore" -s h -l help -d 'Print help'
complete -c pretense -n "__fish_pretense_using_subcommand restore" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and not __fish_seen_subcommand_from list forget clear help" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand vault; and not __fish_seen_subcommand_from list forget clear help" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand vault; and not __fish_seen_subcommand_from list forget clear help" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand vault; and not __fish_seen_subcommand_from list forget clear help" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and not __fish_seen_subcommand_from list forget clear help" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and not __fish_seen_subcommand_from list forget clear help" -s h -l help -d 'Print help'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and not __fish_seen_subcommand_from list forget clear help" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and not __fish_seen_subcommand_from list forget clear help" -f -a "list" -d 'List remembered replacements'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and not __fish_seen_subcommand_from list forget clear help" -f -a "forget" -d 'Forget one original (an identifier in any casing, a term, or a PII value)'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and not __fish_seen_subcommand_from list forget clear help" -f -a "clear" -d 'Forget everything'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and not __fish_seen_subcommand_from list forget clear help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from list" -l kind -d 'Only this kind: name, pii, term, function, class, email, ip, ...' -r
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from list" -s f -l format -d 'Output format' -r -f -a "table\t''
json\t''"
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from list" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from list" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from forget" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from forget" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from forget" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from forget" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from forget" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from forget" -s h -l help -d 'Print help'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from forget" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from clear" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from clear" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from clear" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from clear" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from clear" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from clear" -s h -l help -d 'Print help'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from clear" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "list" -d 'List remembered replacements'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "forget" -d 'Forget one original (an identifier in any casing, a term, or a PII value)'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "clear" -d 'Forget everything'
complete -c pretense -n "__fish_pretense_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pretense -n "__fish_pretense_using_subcommand audit" -s n -l limit -d 'How many rows (newest first)' -r
complete -c pretense -n "__fish_pretense_using_subcommand audit" -l page -d 'Page of `--limit` rows (1-based)' -r
complete -c pretense -n "__fish_pretense_using_subcommand audit" -l session -d 'Only this session' -r
complete -c pretense -n "__fish_pretense_using_subcommand audit" -l since -d 'Only rows since this time: RFC 3339 or a duration such as 30m, 24h, 7d' -r
complete -c pretense -n "__fish_pretense_using_subcommand audit" -s f -l format -d 'Output format' -r -f -a "table\t''
json\t''
csv\t''"
complete -c pretense -n "__fish_pretense_using_subcommand audit" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand audit" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand audit" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand audit" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand audit" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand audit" -s h -l help -d 'Print help'
complete -c pretense -n "__fish_pretense_using_subcommand audit" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand completions" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand completions" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand completions" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand completions" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand completions" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand completions" -s h -l help -d 'Print help'
complete -c pretense -n "__fish_pretense_using_subcommand completions" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -s h -l help -d 'Print help'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -f -a "install" -d 'Write .git/hooks/pre-commit (or core.hooksPath) to scan staged changes before each commit'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -f -a "uninstall" -d 'Remove the pre-commit hook if pretense wrote it'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and not __fish_seen_subcommand_from install uninstall help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from install" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from install" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from install" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from install" -l force -d 'Replace an existing pre-commit hook that pretense did not write'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from install" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from install" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from install" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s h -l help -d 'Print help'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from uninstall" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "install" -d 'Write .git/hooks/pre-commit (or core.hooksPath) to scan staged changes before each commit'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "uninstall" -d 'Remove the pre-commit hook if pretense wrote it'
complete -c pretense -n "__fish_pretense_using_subcommand hook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pretense -n "__fish_pretense_using_subcommand config" -l config -d 'Config file [default: the platform config dir\'s pretense/config.toml]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand config" -l data-dir -d 'Directory for the vault, the audit log and the naming key [default: the platform data dir]' -r -F
complete -c pretense -n "__fish_pretense_using_subcommand config" -l color -d 'When to colour output (NO_COLOR is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pretense -n "__fish_pretense_using_subcommand config" -l paths -d 'Print only the paths, one `name = path` per line'
complete -c pretense -n "__fish_pretense_using_subcommand config" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand config" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand config" -s h -l help -d 'Print help'
complete -c pretense -n "__fish_pretense_using_subcommand config" -s V -l version -d 'Print version'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from start scan redact restore vault audit completions hook config help" -f -a "start" -d 'Run the proxy on 127.0.0.1:9339 in the foreground'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from start scan redact restore vault audit completions hook config help" -f -a "scan" -d 'Scan files, directories, stdin or the staged git changes for secrets'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from start scan redact restore vault audit completions hook config help" -f -a "redact" -d 'Rewrite a file or stdin: rename declared identifiers, replace secrets, PII and terms'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from start scan redact restore vault audit completions hook config help" -f -a "restore" -d 'Put the originals back into text that `redact` (or the proxy) rewrote'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from start scan redact restore vault audit completions hook config help" -f -a "vault" -d 'Inspect or clear what pretense remembers (names, terms, PII; never secrets)'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from start scan redact restore vault audit completions hook config help" -f -a "audit" -d 'Show the audit log of proxied requests'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from start scan redact restore vault audit completions hook config help" -f -a "completions" -d 'Print a shell completion script'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from start scan redact restore vault audit completions hook config help" -f -a "hook" -d 'Manage the git pre-commit hook'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from start scan redact restore vault audit completions hook config help" -f -a "config" -d 'Print the effective configuration and the paths pretense uses'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from start scan redact restore vault audit completions hook config help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pretense -n "__fish_pretense_using_subcommand help; and __fish_seen_subcommand_from vault" -f -a "list" -d 'List remembered replacements'
complete -c pretense -n "__fish_pretense_using_subcommand help; and __fish_seen_subcommand_from vault" -f -a "forget" -d 'Forget one original (an identifier in any casing, a term, or a PII value)'
complete -c pretense -n "__fish_pretense_using_subcommand help; and __fish_seen_subcommand_from vault" -f -a "clear" -d 'Forget everything'
complete -c pretense -n "__fish_pretense_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "install" -d 'Write .git/hooks/pre-commit (or core.hooksPath) to scan staged changes before each commit'
complete -c pretense -n "__fish_pretense_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "uninstall" -d 'Remove the pre-commit hook if pretense wrote it'
