# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_triage_global_optspecs
    string join \n color= h/help V/version
end

function __fish_triage_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_triage_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_triage_using_subcommand
    set -l cmd (__fish_triage_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c triage -n "__fish_triage_needs_command" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_needs_command" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_needs_command" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_needs_command" -f -a "run" -d 'Diagnose artifact folders, single artifacts or fact-map files with rule packs'
complete -c triage -n "__fish_triage_needs_command" -f -a "facts" -d 'Print the facts the collectors read from an input'
complete -c triage -n "__fish_triage_needs_command" -f -a "explain" -d 'Show why a rule did or did not fire on an input: every clause, its value, the facts read'
complete -c triage -n "__fish_triage_needs_command" -f -a "pack" -d 'Work on rule packs: new, check, test, build, sign, verify, keygen, install, list, remove, update, diff'
complete -c triage -n "__fish_triage_needs_command" -f -a "collectors" -d 'List every collector: what it reads and which facts it provides'
complete -c triage -n "__fish_triage_needs_command" -f -a "collect" -d 'Write a bundle (artifacts, facts, manifest) from this Windows host or from a folder'
complete -c triage -n "__fish_triage_needs_command" -f -a "diff" -d 'Show the findings that appeared, cleared or changed between two runs or bundles'
complete -c triage -n "__fish_triage_needs_command" -f -a "probe" -d 'Live checks of an endpoint: `probe tls HOST[:PORT]` (versions, suites, as this host would)'
complete -c triage -n "__fish_triage_needs_command" -f -a "schema" -d 'Print the JSON Schema of a pack file or of the JSON report (`schema pack > pack.schema.json`)'
complete -c triage -n "__fish_triage_needs_command" -f -a "completions" -d 'Print shell completions: bash, zsh, fish, powershell or elvish'
complete -c triage -n "__fish_triage_needs_command" -f -a "man" -d 'Print the man page (roff), every subcommand and option included'
complete -c triage -n "__fish_triage_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c triage -n "__fish_triage_using_subcommand run" -l pack -d 'A rule-pack folder, or the ID of a built-in or installed pack (`builtin:ID`, `installed:ID` when both exist); repeat for several, combined freely. Without it, the packs built into triage are used' -r -F
complete -c triage -n "__fish_triage_using_subcommand run" -l format -d 'How to write the findings (see the values below)' -r -f -a "human\t'Compiler-style diagnostics with snippets of the artifacts'
json\t'One JSON document (`triage schema report`), the same bytes for the same input'
jsonl\t'One finding per line (JSON Lines), streamed, for fleets and log tools; an input that cannot be read is one `{"kind":"input_error",…}` line'
sarif\t'SARIF 2.1.0 for code-scanning and work-item views: one run per pack'
junit\t'JUnit XML for CI: a testsuite per input, a testcase per rule'
markdown\t'Markdown to paste into a ticket or an e-mail: host, findings, evidence, fixes'
csv\t'CSV for spreadsheets and databases: one row per input and rule'
html\t'One self-contained HTML page: a host\'s findings, or a hosts × rules matrix for many'"
complete -c triage -n "__fish_triage_using_subcommand run" -s o -l output -d 'Write the report to FILE instead of stdout (diagnostics still go to stderr)' -r -F
complete -c triage -n "__fish_triage_using_subcommand run" -l waivers -d 'A waivers file: detected findings it accepts are reported as waived and do not exit 1 (format: docs/sharing-packs.md, "Waivers")' -r -F
complete -c triage -n "__fish_triage_using_subcommand run" -l rule -d 'Evaluate only this rule (repeat for several); an ID no pack has is an error' -r
complete -c triage -n "__fish_triage_using_subcommand run" -l severity -d 'Evaluate only rules of this severity or higher' -r -f -a "info\t''
warning\t''
error\t''"
complete -c triage -n "__fish_triage_using_subcommand run" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand run" -l explain -d 'Show, for every rule, each clause, its value and the facts it read'
complete -c triage -n "__fish_triage_using_subcommand run" -s q -l quiet -d 'Print no report: the exit status alone says what was found (0, 1 or 2); errors still go to stderr'
complete -c triage -n "__fish_triage_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c triage -n "__fish_triage_using_subcommand run" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand facts" -l pack -d 'Pack folders whose log signals to scan for (default: the built-in packs)' -r -F
complete -c triage -n "__fish_triage_using_subcommand facts" -l format -d 'Output format: `human` for people, `json` for scripts (deterministic)' -r -f -a "human\t''
json\t''"
complete -c triage -n "__fish_triage_using_subcommand facts" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand facts" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand facts" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand explain" -l pack -d 'A rule-pack folder; repeat for several. Without it, the built-in packs are used' -r -F
complete -c triage -n "__fish_triage_using_subcommand explain" -l format -d 'Output format: `human` for people, `json` for scripts (deterministic)' -r -f -a "human\t''
json\t''"
complete -c triage -n "__fish_triage_using_subcommand explain" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand explain" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand explain" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -f -a "check" -d 'Validate a pack: report every problem at its line in the TOML'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -f -a "test" -d 'Run the test cases of every rule in a pack'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -f -a "new" -d 'Create a new pack folder with one rule, its tests and a changelog'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -f -a "build" -d 'Build a pack folder into a deterministic archive with a manifest of file hashes'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -f -a "sign" -d 'Sign a pack archive or folder: a detached minisign signature over its manifest'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -f -a "verify" -d 'Check a pack archive or folder: files against the manifest, the signature against the keys'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -f -a "keygen" -d 'Make a minisign key pair for signing packs'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -f -a "install" -d 'Install a pack (folder, archive or git URL[@REV]) into your pack store'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -f -a "list" -d 'List the installed packs and the built-in ones'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -f -a "remove" -d 'Remove an installed pack'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -f -a "update" -d 'Update an installed pack from its source, showing the diff and asking first'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -f -a "diff" -d 'Show every change between two versions of a pack, and the rules each change affects'
complete -c triage -n "__fish_triage_using_subcommand pack; and not __fish_seen_subcommand_from check test new build sign verify keygen install list remove update diff help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from check" -l format -d 'Output format: `human` for people, `json` for scripts (deterministic)' -r -f -a "human\t''
json\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from check" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from test" -l junit -d 'Also write the results as JUnit XML to FILE, for CI test reports' -r -F
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from test" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from test" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from new" -l dir -d 'Where to create the folder' -r -F
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from new" -l schema -d 'Path or URL of `pack.schema.json` for the `#:schema` line and `.taplo.toml` (editor checks and completion). Without it, the pack gets its own copy, `pack.schema.json`' -r
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from new" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from new" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from new" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from build" -s o -l out -d 'Folder for the archive' -r -F
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from build" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from build" -l manifest-only -d 'Only write `DIR/MANIFEST.sha256`'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from build" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from build" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from sign" -l key -d 'The minisign secret key' -r -F
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from sign" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from sign" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from sign" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from verify" -l key -d 'Public keys to trust instead of the store\'s `trusted-keys/`; repeat for several' -r -F
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from verify" -l format -d 'Output format: `human` for people, `json` for scripts (deterministic)' -r -f -a "human\t''
json\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from verify" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from keygen" -l dir -d 'The folder to write the key files into' -r -F
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from keygen" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from keygen" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from keygen" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from install" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from install" -l allow-unsigned -d 'Install even if the pack is unsigned or signed by a key you do not trust'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from install" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from list" -l format -d 'Output format: `human` for people, `json` for scripts (deterministic)' -r -f -a "human\t''
json\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from list" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from remove" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from update" -l from -d 'Fetch from here instead of the recorded source' -r
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from update" -l format -d 'Output format: `human` for people, `json` for scripts (deterministic)' -r -f -a "human\t''
json\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from update" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from update" -l allow-unsigned -d 'Update even if the new version is unsigned or signed by a key you do not trust'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from update" -l dry-run -d 'Show what would change; install nothing'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from update" -s y -l yes -d 'Install without asking. Without it, the diff is shown and the update is installed only when you confirm on the terminal; when stdin is not a terminal, nothing is installed (exit 2) — a script must say `--yes`'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from diff" -l bundles -d 'Run both versions on every input in this folder (bundles, artifact folders, fact maps) and show each outcome that changes' -r -F
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from diff" -l format -d 'Output format: `human` for people, `json` for scripts (deterministic)' -r -f -a "human\t''
json\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from diff" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from diff" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from help" -f -a "check" -d 'Validate a pack: report every problem at its line in the TOML'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from help" -f -a "test" -d 'Run the test cases of every rule in a pack'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from help" -f -a "new" -d 'Create a new pack folder with one rule, its tests and a changelog'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from help" -f -a "build" -d 'Build a pack folder into a deterministic archive with a manifest of file hashes'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from help" -f -a "sign" -d 'Sign a pack archive or folder: a detached minisign signature over its manifest'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check a pack archive or folder: files against the manifest, the signature against the keys'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from help" -f -a "keygen" -d 'Make a minisign key pair for signing packs'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from help" -f -a "install" -d 'Install a pack (folder, archive or git URL[@REV]) into your pack store'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the installed packs and the built-in ones'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove an installed pack'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from help" -f -a "update" -d 'Update an installed pack from its source, showing the diff and asking first'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from help" -f -a "diff" -d 'Show every change between two versions of a pack, and the rules each change affects'
complete -c triage -n "__fish_triage_using_subcommand pack; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c triage -n "__fish_triage_using_subcommand collectors" -l format -d 'Output format: `human` for people, `json` for scripts (deterministic)' -r -f -a "human\t''
json\t''"
complete -c triage -n "__fish_triage_using_subcommand collectors" -l pack -d 'With `--facts`: also the log kinds these pack folders (or installed pack IDs) define' -r -F
complete -c triage -n "__fish_triage_using_subcommand collectors" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand collectors" -l facts -d 'Print the fact catalogue: every fact path the collectors write, its types and artifact'
complete -c triage -n "__fish_triage_using_subcommand collectors" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand collectors" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand collect" -l from -d 'Collect the files of this folder instead of the live host' -r -F
complete -c triage -n "__fish_triage_using_subcommand collect" -s o -l output -d 'Where to write the bundle: a folder, or a file ending in `.zip`' -r -F
complete -c triage -n "__fish_triage_using_subcommand collect" -l time -d 'Collection time (RFC 3339, e.g. 2026-11-25T16:00:00Z); makes the bundle reproducible. Default: SOURCE_DATE_EPOCH when set, else now' -r
complete -c triage -n "__fish_triage_using_subcommand collect" -l host -d 'Host name to record in the manifest (default: the collected host name)' -r
complete -c triage -n "__fish_triage_using_subcommand collect" -l redact-key -d 'The redaction key file, created with a new random key if missing (default: a key file in the user\'s configuration folder). Keep it to make pseudonyms match across collections' -r -F
complete -c triage -n "__fish_triage_using_subcommand collect" -l pack -d 'Pack folders whose log signals are scanned into the facts (default: the built-in packs)' -r -F
complete -c triage -n "__fish_triage_using_subcommand collect" -l registry-key -d 'Live collection: another registry key to export (HKLM\\…; end it with `\\*` to include its subkeys); repeat for several' -r
complete -c triage -n "__fish_triage_using_subcommand collect" -l command-timeout -d 'Live collection: seconds each command (systeminfo, gpresult, PowerShell) may take' -r
complete -c triage -n "__fish_triage_using_subcommand collect" -l event-log-days -d 'Live collection: export the System and Application event logs\' events of the last DAYS days (`wevtutil epl`); 0 exports none' -r
complete -c triage -n "__fish_triage_using_subcommand collect" -l event-log-max-mib -d 'Live collection: largest event log export, in MiB; a larger one is exported again over half as many days, and so on' -r
complete -c triage -n "__fish_triage_using_subcommand collect" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand collect" -l force -d 'Replace an existing bundle at OUT'
complete -c triage -n "__fish_triage_using_subcommand collect" -l redact -d 'Pseudonymise host and domain names, IP addresses, user names and machine GUIDs, in the facts and the artifacts, with a keyed hash (equal values stay equal)'
complete -c triage -n "__fish_triage_using_subcommand collect" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand collect" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand diff" -l pack -d 'Pack folders to evaluate inputs with (default: the built-in packs). Not used for reports' -r -F
complete -c triage -n "__fish_triage_using_subcommand diff" -l format -d 'Output format: `human` for people, `json` for scripts (deterministic)' -r -f -a "human\t''
json\t''"
complete -c triage -n "__fish_triage_using_subcommand diff" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand diff" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand diff" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand probe; and not __fish_seen_subcommand_from tls help" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand probe; and not __fish_seen_subcommand_from tls help" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand probe; and not __fish_seen_subcommand_from tls help" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand probe; and not __fish_seen_subcommand_from tls help" -f -a "tls" -d 'Which TLS versions and cipher suites an endpoint accepts, and how it refuses the rest'
complete -c triage -n "__fish_triage_using_subcommand probe; and not __fish_seen_subcommand_from tls help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from tls" -l proxy -d 'Go through this HTTP proxy: `http://[user:password@]host:port` (CONNECT, Basic auth)' -r
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from tls" -l sni -d 'The server name to send (default: the host name; none for an IP address)' -r
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from tls" -l format -d 'Output format: `human` for people, `json` for scripts (deterministic)' -r -f -a "human\t''
json\t''"
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from tls" -s o -l output -d 'Save the result as JSON, an artifact `triage run` reads (facts under `probes.tls`)' -r -F
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from tls" -l as-host -d 'Also offer the ClientHello the host described by these facts would send: an artifact folder, a bundle or a fact-map JSON of that host' -r -F
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from tls" -l timeout -d 'Seconds allowed per connection (connect, proxy and server answer together)' -r
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from tls" -l deadline -d 'Seconds allowed for the whole probe (name resolution, pauses and every connection); when it passes, the probe stops and reports what it found so far as incomplete (exit 2)' -r
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from tls" -l pause -d 'Milliseconds to wait between two connections (at most 10000)' -r
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from tls" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from tls" -l no-suites -d 'Only test the versions; do not enumerate cipher suites'
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from tls" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from tls" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from help" -f -a "tls" -d 'Which TLS versions and cipher suites an endpoint accepts, and how it refuses the rest'
complete -c triage -n "__fish_triage_using_subcommand probe; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c triage -n "__fish_triage_using_subcommand schema" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand schema" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand schema" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand completions" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand completions" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand completions" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand man" -l color -d 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set' -r -f -a "auto\t''
always\t''
never\t''"
complete -c triage -n "__fish_triage_using_subcommand man" -s h -l help -d 'Print help'
complete -c triage -n "__fish_triage_using_subcommand man" -s V -l version -d 'Print version'
complete -c triage -n "__fish_triage_using_subcommand help; and not __fish_seen_subcommand_from run facts explain pack collectors collect diff probe schema completions man help" -f -a "run" -d 'Diagnose artifact folders, single artifacts or fact-map files with rule packs'
complete -c triage -n "__fish_triage_using_subcommand help; and not __fish_seen_subcommand_from run facts explain pack collectors collect diff probe schema completions man help" -f -a "facts" -d 'Print the facts the collectors read from an input'
complete -c triage -n "__fish_triage_using_subcommand help; and not __fish_seen_subcommand_from run facts explain pack collectors collect diff probe schema completions man help" -f -a "explain" -d 'Show why a rule did or did not fire on an input: every clause, its value, the facts read'
complete -c triage -n "__fish_triage_using_subcommand help; and not __fish_seen_subcommand_from run facts explain pack collectors collect diff probe schema completions man help" -f -a "pack" -d 'Work on rule packs: new, check, test, build, sign, verify, keygen, install, list, remove, update, diff'
complete -c triage -n "__fish_triage_using_subcommand help; and not __fish_seen_subcommand_from run facts explain pack collectors collect diff probe schema completions man help" -f -a "collectors" -d 'List every collector: what it reads and which facts it provides'
complete -c triage -n "__fish_triage_using_subcommand help; and not __fish_seen_subcommand_from run facts explain pack collectors collect diff probe schema completions man help" -f -a "collect" -d 'Write a bundle (artifacts, facts, manifest) from this Windows host or from a folder'
complete -c triage -n "__fish_triage_using_subcommand help; and not __fish_seen_subcommand_from run facts explain pack collectors collect diff probe schema completions man help" -f -a "diff" -d 'Show the findings that appeared, cleared or changed between two runs or bundles'
complete -c triage -n "__fish_triage_using_subcommand help; and not __fish_seen_subcommand_from run facts explain pack collectors collect diff probe schema completions man help" -f -a "probe" -d 'Live checks of an endpoint: `probe tls HOST[:PORT]` (versions, suites, as this host would)'
complete -c triage -n "__fish_triage_using_subcommand help; and not __fish_seen_subcommand_from run facts explain pack collectors collect diff probe schema completions man help" -f -a "schema" -d 'Print the JSON Schema of a pack file or of the JSON report (`schema pack > pack.schema.json`)'
complete -c triage -n "__fish_triage_using_subcommand help; and not __fish_seen_subcommand_from run facts explain pack collectors collect diff probe schema completions man help" -f -a "completions" -d 'Print shell completions: bash, zsh, fish, powershell or elvish'
complete -c triage -n "__fish_triage_using_subcommand help; and not __fish_seen_subcommand_from run facts explain pack collectors collect diff probe schema completions man help" -f -a "man" -d 'Print the man page (roff), every subcommand and option included'
complete -c triage -n "__fish_triage_using_subcommand help; and not __fish_seen_subcommand_from run facts explain pack collectors collect diff probe schema completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c triage -n "__fish_triage_using_subcommand help; and __fish_seen_subcommand_from pack" -f -a "check" -d 'Validate a pack: report every problem at its line in the TOML'
complete -c triage -n "__fish_triage_using_subcommand help; and __fish_seen_subcommand_from pack" -f -a "test" -d 'Run the test cases of every rule in a pack'
complete -c triage -n "__fish_triage_using_subcommand help; and __fish_seen_subcommand_from pack" -f -a "new" -d 'Create a new pack folder with one rule, its tests and a changelog'
complete -c triage -n "__fish_triage_using_subcommand help; and __fish_seen_subcommand_from pack" -f -a "build" -d 'Build a pack folder into a deterministic archive with a manifest of file hashes'
complete -c triage -n "__fish_triage_using_subcommand help; and __fish_seen_subcommand_from pack" -f -a "sign" -d 'Sign a pack archive or folder: a detached minisign signature over its manifest'
complete -c triage -n "__fish_triage_using_subcommand help; and __fish_seen_subcommand_from pack" -f -a "verify" -d 'Check a pack archive or folder: files against the manifest, the signature against the keys'
complete -c triage -n "__fish_triage_using_subcommand help; and __fish_seen_subcommand_from pack" -f -a "keygen" -d 'Make a minisign key pair for signing packs'
complete -c triage -n "__fish_triage_using_subcommand help; and __fish_seen_subcommand_from pack" -f -a "install" -d 'Install a pack (folder, archive or git URL[@REV]) into your pack store'
complete -c triage -n "__fish_triage_using_subcommand help; and __fish_seen_subcommand_from pack" -f -a "list" -d 'List the installed packs and the built-in ones'
complete -c triage -n "__fish_triage_using_subcommand help; and __fish_seen_subcommand_from pack" -f -a "remove" -d 'Remove an installed pack'
complete -c triage -n "__fish_triage_using_subcommand help; and __fish_seen_subcommand_from pack" -f -a "update" -d 'Update an installed pack from its source, showing the diff and asking first'
complete -c triage -n "__fish_triage_using_subcommand help; and __fish_seen_subcommand_from pack" -f -a "diff" -d 'Show every change between two versions of a pack, and the rules each change affects'
complete -c triage -n "__fish_triage_using_subcommand help; and __fish_seen_subcommand_from probe" -f -a "tls" -d 'Which TLS versions and cipher suites an endpoint accepts, and how it refuses the rest'
