
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'triage' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'triage'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'triage' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Diagnose artifact folders, single artifacts or fact-map files with rule packs')
            [CompletionResult]::new('facts', 'facts', [CompletionResultType]::ParameterValue, 'Print the facts the collectors read from an input')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Show why a rule did or did not fire on an input: every clause, its value, the facts read')
            [CompletionResult]::new('pack', 'pack', [CompletionResultType]::ParameterValue, 'Work on rule packs: new, check, test, build, sign, verify, keygen, install, list, remove, update, diff')
            [CompletionResult]::new('collectors', 'collectors', [CompletionResultType]::ParameterValue, 'List every collector: what it reads and which facts it provides')
            [CompletionResult]::new('collect', 'collect', [CompletionResultType]::ParameterValue, 'Write a bundle (artifacts, facts, manifest) from this Windows host or from a folder')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show the findings that appeared, cleared or changed between two runs or bundles')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Live checks of an endpoint: `probe tls HOST[:PORT]` (versions, suites, as this host would)')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of a pack file or of the JSON report (`schema pack > pack.schema.json`)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions: bash, zsh, fish, powershell or elvish')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), every subcommand and option included')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'triage;run' {
            [CompletionResult]::new('--pack', '--pack', [CompletionResultType]::ParameterName, 'A rule-pack folder, or the ID of a built-in or installed pack (`builtin:ID`, `installed:ID` when both exist); repeat for several, combined freely. Without it, the packs built into triage are used')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to write the findings (see the values below)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the report to FILE instead of stdout (diagnostics still go to stderr)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE instead of stdout (diagnostics still go to stderr)')
            [CompletionResult]::new('--waivers', '--waivers', [CompletionResultType]::ParameterName, 'A waivers file: detected findings it accepts are reported as waived and do not exit 1 (format: docs/sharing-packs.md, "Waivers")')
            [CompletionResult]::new('--rule', '--rule', [CompletionResultType]::ParameterName, 'Evaluate only this rule (repeat for several); an ID no pack has is an error')
            [CompletionResult]::new('--severity', '--severity', [CompletionResultType]::ParameterName, 'Evaluate only rules of this severity or higher')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Show, for every rule, each clause, its value and the facts it read')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no report: the exit status alone says what was found (0, 1 or 2); errors still go to stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no report: the exit status alone says what was found (0, 1 or 2); errors still go to stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;facts' {
            [CompletionResult]::new('--pack', '--pack', [CompletionResultType]::ParameterName, 'Pack folders whose log signals to scan for (default: the built-in packs)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` for scripts (deterministic)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;explain' {
            [CompletionResult]::new('--pack', '--pack', [CompletionResultType]::ParameterName, 'A rule-pack folder; repeat for several. Without it, the built-in packs are used')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` for scripts (deterministic)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;pack' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate a pack: report every problem at its line in the TOML')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run the test cases of every rule in a pack')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Create a new pack folder with one rule, its tests and a changelog')
            [CompletionResult]::new('build', 'build', [CompletionResultType]::ParameterValue, 'Build a pack folder into a deterministic archive with a manifest of file hashes')
            [CompletionResult]::new('sign', 'sign', [CompletionResultType]::ParameterValue, 'Sign a pack archive or folder: a detached minisign signature over its manifest')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a pack archive or folder: files against the manifest, the signature against the keys')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Make a minisign key pair for signing packs')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install a pack (folder, archive or git URL[@REV]) into your pack store')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the installed packs and the built-in ones')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an installed pack')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Update an installed pack from its source, showing the diff and asking first')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show every change between two versions of a pack, and the rules each change affects')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'triage;pack;check' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` for scripts (deterministic)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;pack;test' {
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write the results as JUnit XML to FILE, for CI test reports')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;pack;new' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Where to create the folder')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'Path or URL of `pack.schema.json` for the `#:schema` line and `.taplo.toml` (editor checks and completion). Without it, the pack gets its own copy, `pack.schema.json`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;pack;build' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Folder for the archive')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Folder for the archive')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('--manifest-only', '--manifest-only', [CompletionResultType]::ParameterName, 'Only write `DIR/MANIFEST.sha256`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;pack;sign' {
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The minisign secret key')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;pack;verify' {
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Public keys to trust instead of the store''s `trusted-keys/`; repeat for several')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` for scripts (deterministic)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;pack;keygen' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The folder to write the key files into')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;pack;install' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('--allow-unsigned', '--allow-unsigned', [CompletionResultType]::ParameterName, 'Install even if the pack is unsigned or signed by a key you do not trust')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;pack;list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` for scripts (deterministic)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;pack;remove' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;pack;update' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Fetch from here instead of the recorded source')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` for scripts (deterministic)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('--allow-unsigned', '--allow-unsigned', [CompletionResultType]::ParameterName, 'Update even if the new version is unsigned or signed by a key you do not trust')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would change; install nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Install without asking. Without it, the diff is shown and the update is installed only when you confirm on the terminal; when stdin is not a terminal, nothing is installed (exit 2) — a script must say `--yes`')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Install without asking. Without it, the diff is shown and the update is installed only when you confirm on the terminal; when stdin is not a terminal, nothing is installed (exit 2) — a script must say `--yes`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;pack;diff' {
            [CompletionResult]::new('--bundles', '--bundles', [CompletionResultType]::ParameterName, 'Run both versions on every input in this folder (bundles, artifact folders, fact maps) and show each outcome that changes')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` for scripts (deterministic)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;pack;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate a pack: report every problem at its line in the TOML')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run the test cases of every rule in a pack')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Create a new pack folder with one rule, its tests and a changelog')
            [CompletionResult]::new('build', 'build', [CompletionResultType]::ParameterValue, 'Build a pack folder into a deterministic archive with a manifest of file hashes')
            [CompletionResult]::new('sign', 'sign', [CompletionResultType]::ParameterValue, 'Sign a pack archive or folder: a detached minisign signature over its manifest')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a pack archive or folder: files against the manifest, the signature against the keys')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Make a minisign key pair for signing packs')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install a pack (folder, archive or git URL[@REV]) into your pack store')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the installed packs and the built-in ones')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an installed pack')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Update an installed pack from its source, showing the diff and asking first')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show every change between two versions of a pack, and the rules each change affects')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'triage;pack;help;check' {
            break
        }
        'triage;pack;help;test' {
            break
        }
        'triage;pack;help;new' {
            break
        }
        'triage;pack;help;build' {
            break
        }
        'triage;pack;help;sign' {
            break
        }
        'triage;pack;help;verify' {
            break
        }
        'triage;pack;help;keygen' {
            break
        }
        'triage;pack;help;install' {
            break
        }
        'triage;pack;help;list' {
            break
        }
        'triage;pack;help;remove' {
            break
        }
        'triage;pack;help;update' {
            break
        }
        'triage;pack;help;diff' {
            break
        }
        'triage;pack;help;help' {
            break
        }
        'triage;collectors' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` for scripts (deterministic)')
            [CompletionResult]::new('--pack', '--pack', [CompletionResultType]::ParameterName, 'With `--facts`: also the log kinds these pack folders (or installed pack IDs) define')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('--facts', '--facts', [CompletionResultType]::ParameterName, 'Print the fact catalogue: every fact path the collectors write, its types and artifact')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;collect' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Collect the files of this folder instead of the live host')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write the bundle: a folder, or a file ending in `.zip`')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Where to write the bundle: a folder, or a file ending in `.zip`')
            [CompletionResult]::new('--time', '--time', [CompletionResultType]::ParameterName, 'Collection time (RFC 3339, e.g. 2026-11-25T16:00:00Z); makes the bundle reproducible. Default: SOURCE_DATE_EPOCH when set, else now')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Host name to record in the manifest (default: the collected host name)')
            [CompletionResult]::new('--redact-key', '--redact-key', [CompletionResultType]::ParameterName, 'The redaction key file, created with a new random key if missing (default: a key file in the user''s configuration folder). Keep it to make pseudonyms match across collections')
            [CompletionResult]::new('--pack', '--pack', [CompletionResultType]::ParameterName, 'Pack folders whose log signals are scanned into the facts (default: the built-in packs)')
            [CompletionResult]::new('--registry-key', '--registry-key', [CompletionResultType]::ParameterName, 'Live collection: another registry key to export (HKLM\…; end it with `\*` to include its subkeys); repeat for several')
            [CompletionResult]::new('--command-timeout', '--command-timeout', [CompletionResultType]::ParameterName, 'Live collection: seconds each command (systeminfo, gpresult, PowerShell) may take')
            [CompletionResult]::new('--event-log-days', '--event-log-days', [CompletionResultType]::ParameterName, 'Live collection: export the System and Application event logs'' events of the last DAYS days (`wevtutil epl`); 0 exports none')
            [CompletionResult]::new('--event-log-max-mib', '--event-log-max-mib', [CompletionResultType]::ParameterName, 'Live collection: largest event log export, in MiB; a larger one is exported again over half as many days, and so on')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing bundle at OUT')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Pseudonymise host and domain names, IP addresses, user names and machine GUIDs, in the facts and the artifacts, with a keyed hash (equal values stay equal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;diff' {
            [CompletionResult]::new('--pack', '--pack', [CompletionResultType]::ParameterName, 'Pack folders to evaluate inputs with (default: the built-in packs). Not used for reports')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` for scripts (deterministic)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;probe' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('tls', 'tls', [CompletionResultType]::ParameterValue, 'Which TLS versions and cipher suites an endpoint accepts, and how it refuses the rest')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'triage;probe;tls' {
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Go through this HTTP proxy: `http://[user:password@]host:port` (CONNECT, Basic auth)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'The server name to send (default: the host name; none for an IP address)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: `human` for people, `json` for scripts (deterministic)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Save the result as JSON, an artifact `triage run` reads (facts under `probes.tls`)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Save the result as JSON, an artifact `triage run` reads (facts under `probes.tls`)')
            [CompletionResult]::new('--as-host', '--as-host', [CompletionResultType]::ParameterName, 'Also offer the ClientHello the host described by these facts would send: an artifact folder, a bundle or a fact-map JSON of that host')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds allowed per connection (connect, proxy and server answer together)')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Seconds allowed for the whole probe (name resolution, pauses and every connection); when it passes, the probe stops and reports what it found so far as incomplete (exit 2)')
            [CompletionResult]::new('--pause', '--pause', [CompletionResultType]::ParameterName, 'Milliseconds to wait between two connections (at most 10000)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('--no-suites', '--no-suites', [CompletionResultType]::ParameterName, 'Only test the versions; do not enumerate cipher suites')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;probe;help' {
            [CompletionResult]::new('tls', 'tls', [CompletionResultType]::ParameterValue, 'Which TLS versions and cipher suites an endpoint accepts, and how it refuses the rest')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'triage;probe;help;tls' {
            break
        }
        'triage;probe;help;help' {
            break
        }
        'triage;schema' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;man' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: `auto` uses it on a terminal unless `NO_COLOR` is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'triage;help' {
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Diagnose artifact folders, single artifacts or fact-map files with rule packs')
            [CompletionResult]::new('facts', 'facts', [CompletionResultType]::ParameterValue, 'Print the facts the collectors read from an input')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Show why a rule did or did not fire on an input: every clause, its value, the facts read')
            [CompletionResult]::new('pack', 'pack', [CompletionResultType]::ParameterValue, 'Work on rule packs: new, check, test, build, sign, verify, keygen, install, list, remove, update, diff')
            [CompletionResult]::new('collectors', 'collectors', [CompletionResultType]::ParameterValue, 'List every collector: what it reads and which facts it provides')
            [CompletionResult]::new('collect', 'collect', [CompletionResultType]::ParameterValue, 'Write a bundle (artifacts, facts, manifest) from this Windows host or from a folder')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show the findings that appeared, cleared or changed between two runs or bundles')
            [CompletionResult]::new('probe', 'probe', [CompletionResultType]::ParameterValue, 'Live checks of an endpoint: `probe tls HOST[:PORT]` (versions, suites, as this host would)')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of a pack file or of the JSON report (`schema pack > pack.schema.json`)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions: bash, zsh, fish, powershell or elvish')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff), every subcommand and option included')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'triage;help;run' {
            break
        }
        'triage;help;facts' {
            break
        }
        'triage;help;explain' {
            break
        }
        'triage;help;pack' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate a pack: report every problem at its line in the TOML')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Run the test cases of every rule in a pack')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Create a new pack folder with one rule, its tests and a changelog')
            [CompletionResult]::new('build', 'build', [CompletionResultType]::ParameterValue, 'Build a pack folder into a deterministic archive with a manifest of file hashes')
            [CompletionResult]::new('sign', 'sign', [CompletionResultType]::ParameterValue, 'Sign a pack archive or folder: a detached minisign signature over its manifest')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check a pack archive or folder: files against the manifest, the signature against the keys')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Make a minisign key pair for signing packs')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install a pack (folder, archive or git URL[@REV]) into your pack store')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the installed packs and the built-in ones')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove an installed pack')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Update an installed pack from its source, showing the diff and asking first')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show every change between two versions of a pack, and the rules each change affects')
            break
        }
        'triage;help;pack;check' {
            break
        }
        'triage;help;pack;test' {
            break
        }
        'triage;help;pack;new' {
            break
        }
        'triage;help;pack;build' {
            break
        }
        'triage;help;pack;sign' {
            break
        }
        'triage;help;pack;verify' {
            break
        }
        'triage;help;pack;keygen' {
            break
        }
        'triage;help;pack;install' {
            break
        }
        'triage;help;pack;list' {
            break
        }
        'triage;help;pack;remove' {
            break
        }
        'triage;help;pack;update' {
            break
        }
        'triage;help;pack;diff' {
            break
        }
        'triage;help;collectors' {
            break
        }
        'triage;help;collect' {
            break
        }
        'triage;help;diff' {
            break
        }
        'triage;help;probe' {
            [CompletionResult]::new('tls', 'tls', [CompletionResultType]::ParameterValue, 'Which TLS versions and cipher suites an endpoint accepts, and how it refuses the rest')
            break
        }
        'triage;help;probe;tls' {
            break
        }
        'triage;help;schema' {
            break
        }
        'triage;help;completions' {
            break
        }
        'triage;help;man' {
            break
        }
        'triage;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
