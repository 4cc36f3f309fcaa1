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
complete -c pretense -n "__fish_pretense_needs_command" -f -a "scan" -d 'Scan files, directories, stdin or the staged git changes for secrets'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "hook" -d 'Manage the git pre-commit hook'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "config" -d 'Print the effective configuration and the paths pretense uses'
complete -c pretense -n "__fish_pretense_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
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
complete -c pretense -n "__fish_pretense_using_subcommand scan" -s q -l quiet -d 'Print only results and errors'
complete -c pretense -n "__fish_pretense_using_subcommand scan" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c pretense -n "__fish_pretense_using_subcommand scan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pretense -n "__fish_pretense_using_subcommand scan" -s V -l version -d 'Print version'
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
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from scan completions hook config help" -f -a "scan" -d 'Scan files, directories, stdin or the staged git changes for secrets'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from scan completions hook config help" -f -a "completions" -d 'Print a shell completion script'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from scan completions hook config help" -f -a "hook" -d 'Manage the git pre-commit hook'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from scan completions hook config help" -f -a "config" -d 'Print the effective configuration and the paths pretense uses'
complete -c pretense -n "__fish_pretense_using_subcommand help; and not __fish_seen_subcommand_from scan completions hook config help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pretense -n "__fish_pretense_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "install" -d 'Write .git/hooks/pre-commit (or core.hooksPath) to scan staged changes before each commit'
complete -c pretense -n "__fish_pretense_using_subcommand help; and __fish_seen_subcommand_from hook" -f -a "uninstall" -d 'Remove the pre-commit hook if pretense wrote it'
