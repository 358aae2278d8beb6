#!/usr/bin/env python3
"""Writes the hostile-pack suite: one folder per case, each a pack and an `expect.toml`.

Run from this folder (`python3 make_cases.py`) after changing a case; the files it writes are
committed, and `tests/hostile_packs.rs` runs them through the binary beside the built-in pack.
"""
import os
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))


def manifest(pid, title):
    return textwrap.dedent(f'''\
        [pack]
        id = "{pid}"
        version = "0.1.0"
        engine = "^0.2"
        title = "{title}"
        ''')


def doubling(prefix, seed, levels):
    """Derived facts that double a string: `{prefix}0 = seed`, each next one twice the last."""
    out = [f"{prefix}0 = '\"{seed}\"'"]
    for i in range(1, levels + 1):
        out.append(f"{prefix}{i} = '{prefix}{i-1} + {prefix}{i-1}'")
    return "\n".join(out) + "\n"


def rule(rid, when, resolution="Nothing to fix.", title=None, extra=""):
    title = title or f"hostile rule {rid}"
    return textwrap.dedent(f'''\

        [[rule]]
        id = "{rid}"
        title = "{title}"
        severity = "info"
        when = {when}
        resolution = """{resolution}"""
        {extra}
        [[rule.test]]
        name = "positive"
        facts = {{ os = {{ build = 1 }} }}
        expect = "detected"

        [[rule.test]]
        name = "negative"
        facts = {{ os = {{ build = 2 }} }}
        expect = "not_detected"
        ''')


def write(case, files, expect):
    d = os.path.join(HERE, case)
    for name, text in files.items():
        p = os.path.join(d, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", newline="\n") as f:
            f.write(text)
    with open(os.path.join(d, "expect.toml"), "w", newline="\n") as f:
        f.write(textwrap.dedent(expect).lstrip())


def q(expr):
    return "'" + expr + "'"


# --- Functions a condition must not have -------------------------------------------------------

write("sleep", {"pack.toml": manifest("hostile-sleep", "Calls sleep()")
                + rule("SLEEP001", q("sleep(1000000) == ()"))}, '''
    # sleep() is not in the sandbox's function list: calling it is an error, never a wait.
    [[rule]]
    id = "SLEEP001"
    outcome = "error"
    message = "sleep"
    ''')

write("clock", {"pack.toml": manifest("hostile-clock", "Reads the clock")
                + rule("CLOCK001", q("timestamp().elapsed >= 0.0"))
                + rule("CLOCK002", q('"x" + timestamp() != ""'))}, '''
    # No clock: output must not depend on when the run happens.
    [[rule]]
    id = "CLOCK001"
    outcome = "error"
    message = "timestamp"

    [[rule]]
    id = "CLOCK002"
    outcome = "error"
    message = "timestamp"
    ''')

write("print", {"pack.toml": manifest("hostile-print", "Writes to stdout")
                + rule("PRINT001", q('print("injected into the report") == ()'))
                + rule("PRINT002", q('debug("injected into the report") == ()'))}, '''
    # No output from conditions: print and debug are refused when the pack loads.
    load_error = ["reserved keyword 'print' is disabled", "reserved keyword 'debug' is disabled"]
    stdout_lacks = "injected into the report"
    ''')

# --- Functions that never return or run for ever -----------------------------------------------

write("pad-forever", {"pack.toml": manifest("hostile-pad", "Rhai's pad with an empty filler")
                      + rule("PAD001", q('"abc".pad(1048576, "") == ()'))
                      + rule("PAD002", q('"abc".pad(100000000, "x") == ()'))}, '''
    # Rhai's own pad() with an empty filler never returns on main (4575fbb).
    [[rule]]
    id = "PAD001"
    outcome = "error"

    [[rule]]
    id = "PAD002"
    outcome = "error"
    ''')

helpers = manifest("hostile-helpers", "Native helpers over 262,144-item lists") + "\n[derive]\n" \
    + doubling("a", "a,", 18) + doubling("b", "b,", 18) \
    + "la = 'split_list(a18)'\nlb = 'split_list(b18)'\n"
helpers += rule("HELP001", q("intersect_ci(la, lb).len() > 0"))
helpers += rule("HELP002", q("missing_from_ci(la, lb).len() > 0"))
helpers += rule("HELP003", q("strip_suffixes(la, lb).len() > 0"))
helpers += rule("HELP004", q('contains_ci(la, "zzz") || la.len() > 0'))
write("helpers-quadratic", {"pack.toml": helpers}, '''
    # intersect_ci / missing_from_ci / strip_suffixes compared every item of one list with every
    # item of the other: 262,144² comparisons ran unbounded on main (4575fbb). Now they charge
    # operations by the size of their input, so the rule's operation budget (500,000) stops
    # them the same way on every machine, before the clock matters.
    [[rule]]
    id = "HELP001"
    outcome = "error"
    message = "operation budget of rule exceeded"

    [[rule]]
    id = "HELP002"
    outcome = "error"
    message = "operation budget of rule exceeded"

    [[rule]]
    id = "HELP003"
    outcome = "error"
    message = "operation budget of rule exceeded"

    # A linear scan of the same list is cheap and must still work.
    [[rule]]
    id = "HELP004"
    outcome = "detected"
    ''')

where = manifest("hostile-where", "A where filter that is slow on every match")
where += textwrap.dedent('''
    [data]
    big = "%s"

    [signals.every_record]
    log = "wsus"
    pattern = '\\d'
    max_matches = 100000
    where = 'split_list(data.big).filter(|x| x == "zzz").len() == 0 && split_list(data.big).filter(|x| x == "yyy").len() == 0'
    ''') % ("a," * 120000)
where += rule("WHERE001", q('signal("every_record").len() > 0'))
write("where-per-match", {"pack.toml": where}, '''
    # Each `where` call is ~0.1 s; on main (4575fbb) every match gets a fresh 250 ms, so a log
    # with a few hundred records keeps one input busy for minutes. One budget covers all of a
    # signal's `where` calls on one input.
    inputs = ["tests/hostile_packs/inputs/many-records"]

    [[rule]]
    id = "WHERE001"
    outcome = "error"
    ''')

# --- Values past the size limits ---------------------------------------------------------------

blow = manifest("hostile-blowup", "Strings built past the size limits") + "\n[derive]\n" \
    + doubling("s", "a", 19)
blow += rule("BLOW001", q('s19.replace("a", s19) == ""'))
blow += rule("BLOW002", q('join(s19.to_chars(), s19) == ""'))
blow += rule("BLOW003", q("(s19 + s19 + s19).len() > 0"))
blow += rule("BLOW004", q("s19.len() == 524288"))
write("string-blowup", {"pack.toml": blow}, '''
    # replace() and join() built strings far past the 1 MiB limit on main (4575fbb): allocation
    # failure, exit 134.
    [[rule]]
    id = "BLOW001"
    outcome = "error"

    [[rule]]
    id = "BLOW002"
    outcome = "error"

    [[rule]]
    id = "BLOW003"
    outcome = "error"

    # A value within the limits is fine.
    [[rule]]
    id = "BLOW004"
    outcome = "detected"
    ''')

mem = manifest("hostile-derived-memory", "40 derived facts of 1 Mi items each") + "\n[derive]\n" \
    + doubling("s", "a", 20)
for i in range(40):
    mem += f"list{i:02} = 's20.to_chars()'\n"
clauses = " && ".join(f"list{i:02}.len() > 0" for i in range(40))
mem += rule("MEM001", q(clauses))
write("derived-memory", {"pack.toml": mem}, '''
    # 40 derived facts of 1 Mi items each reached 1.9 GB on main (4575fbb). The pack's memory
    # ceiling stops it: the rule that reads them is an error naming the ceiling.
    inputs = ["examples/healthy"]
    [[rule]]
    id = "MEM001"
    outcome = "error"
    message = "memory"
    ''')

res = manifest("hostile-resolutions", "1,200 rules that interpolate a 1 MiB value") + "\n[derive]\n" \
    + doubling("s", "a", 20)
for i in range(1200):
    res += textwrap.dedent(f'''
        [[rule]]
        id = "RES{i:04}"
        title = "detected everywhere"
        severity = "info"
        when = 'true'
        resolution = "{{{{ s20 }}}}"
        ''')
write("resolution-memory", {"pack.toml": res}, '''
    # 1,200 detected rules that interpolate a 1 MiB value reached 1.8 GB on main (4575fbb)
    # (600 rules: 614 MB of JSON). The pack's memory ceiling covers resolutions: the first rules
    # are detected, those past the ceiling end in error naming it.
    inputs = ["examples/healthy"]
    [[rule]]
    id = "RES0000"
    outcome = "detected"

    [[rule]]
    id = "RES1199"
    outcome = "error"
    message = "memory"
    ''')

# --- Load-time refusals ------------------------------------------------------------------------

write("zero-width-signals", {"pack.toml": manifest("hostile-zero-width", "Signals that match nothing but everywhere")
                             + textwrap.dedent('''
                                 [signals.word_boundary]
                                 log = "wsus"
                                 pattern = '\\b'

                                 [signals.line_start]
                                 log = "wsus"
                                 pattern = '^'

                                 [signals.empty_group]
                                 log = "wsus"
                                 pattern = '(?:)'

                                 [signals.not_boundary]
                                 log = "wsus"
                                 pattern = '\\B'

                                 [signals.star]
                                 log = "wsus"
                                 pattern = 'a*'
                                 ''')
                             + rule("ZW001", q('signal("word_boundary").len() > 0'))}, '''
    # Zero-width patterns match every record: each is a load error of this pack at its line.
    load_error = ["pattern matches the empty string, so it matches every line", "pack.toml:9", "pack.toml:13", "pack.toml:17", "pack.toml:21", "pack.toml:25"]
    ''')

write("nfa-overflow", {"pack.toml": manifest("hostile-nfa", "Signals whose regexes overflow the size limit")
                       + textwrap.dedent('''
                           [signals.huge_one]
                           log = "wsus"
                           pattern = '(?:\\w{200})x'

                           [signals.huge_two]
                           log = "wsus"
                           pattern = '(?:\\w{200})y'
                           ''')
                       + rule("NFA001", q('signal("huge_one").len() > 0 || signal("huge_two").len() > 0'))}, '''
    # On main (4575fbb) two such signals made the combined scan fail for every pack: the built-in
    # pack's WSUS001 went from detected to not_detected with exit 0. Now the same limits are applied
    # they are refused alone, at load: a load error of this pack.
    load_error = ["pack::regex-too-large", "exceeds the 8 MiB limit of one signal"]
    ''')

deep = "(" * 3000 + "true" + ")" * 3000
write("deep-expression", {"pack.toml": manifest("hostile-deep-expr", "A condition nested 3,000 deep")
                          + rule("DEEP001", q(deep))}, '''
    # Nesting past the expression-depth limit is a load error, never a stack overflow.
    load_error = ["Expression exceeds maximum complexity"]
    ''')

deep_toml = manifest("hostile-deep-toml", "A [data] value nested 20,000 deep") \
    + "\n[data]\nv = " + "[" * 20000 + "1" + "]" * 20000 + "\n" + rule("DEEPT001", q("true"))
write("deep-toml", {"pack.toml": deep_toml}, '''
    # A TOML value nested 20,000 deep must be a load error, never a stack overflow.
    load_error = ["pack.toml"]
    ''')

write("huge-pack", {"pack.toml": manifest("hostile-huge", "A pack file of 64 MiB") + rule("HUGE001", q("true"))}, '''
    # A pack over the documented size is refused before it is parsed (on main, 4575fbb, a 50 MB
    # pack took 17 s and 4.2 GB to check). The runner pads rules/pad.toml to this many bytes of
    # TOML comments in a copy of the case.
    pad_file = "rules/pad.toml"
    pad_bytes = 67108864
    load_error = ["pack::too-large", "larger than 4 MiB"]
    ''')

write("huge-max-matches", {"pack.toml": manifest("hostile-max-matches", "Keeps every match of every record")
                           + textwrap.dedent('''
                               [signals.all]
                               log = "wsus"
                               pattern = '\\d'
                               max_matches = 1000000000000
                               ''')
                           + rule("MM001", q('signal("all").len() > 0'))}, '''
    # max_matches past the engine's cap is a load error naming the cap.
    load_error = ["a positive integer, at most 100000 (max_matches)"]
    ''')

# --- Interference with other packs -------------------------------------------------------------

write("kind-steals-files", {"pack.toml": manifest("hostile-kinds", "Log kinds that claim every file")
                            + textwrap.dedent('''
                                [log_kinds.aaa_everything]
                                files = ["*"]
                                record_start = '^'

                                [log_kinds.aaa_logs]
                                files = ["*.log", "*.txt", "*.conf", "*.xml", "*.reg", "*.json"]
                                record_start = '^'

                                [signals.any_line]
                                log = "aaa_everything"
                                pattern = '\\S'

                                [signals.any_log_line]
                                log = "aaa_logs"
                                pattern = '\\S'
                                ''')
                            + rule("STEAL001", q('signal("any_line").len() > 0 && signal("any_log_line").len() > 0'))}, '''
    # Kinds whose names sort first and whose globs take every file: on main (4575fbb) the file went
    # to the first kind and the others lost it. Each pack's kinds read the file on their own.
    [[rule]]
    id = "STEAL001"
    outcome = "detected"
    ''')

write("builtin-kind-name", {"pack.toml": manifest("hostile-kind-name", "Redefines the built-in kind names")
                            + textwrap.dedent('''
                                [log_kinds.windowsupdate]
                                files = ["SoftwareDistribution.log"]
                                record_start = '^'

                                [signals.mine]
                                log = "windowsupdate"
                                pattern = 'forcibly closed'
                                ''')
                            + rule("KIND001", q('signal("mine").len() > 0'))}, '''
    # A kind name another pack (or the engine) also uses is this pack's own kind.
    inputs = ["examples/issue1-import-tls12"]

    [[rule]]
    id = "KIND001"
    outcome = "detected"
    ''')

write("same-rule-id", {"pack.toml": manifest("hostile-same-id", "Reuses the built-in pack's rule IDs")
                       + rule("WSUS001", q("true"), title="Not the built-in WSUS001")
                       + rule("WSUS002", q("false"), title="Not the built-in WSUS002")}, '''
    # Same IDs as the built-in pack: told apart by pack, never merged or overwritten.
    [[rule]]
    id = "WSUS001"
    outcome = "detected"

    [[rule]]
    id = "WSUS002"
    outcome = "not_detected"
    ''')

write("control-chars", {"pack.toml": manifest("hostile-control", "Terminal escapes in its texts")
                        + rule("CTRL001", q("true"), title="clears \\u001b[2J the screen",
                               resolution="\\u001b]0;owned\\u0007 and \\u001b[31mred")}, '''
    # Escape sequences from a pack never reach the terminal raw: human output shows them inert.
    human_lacks_escape = true

    [[rule]]
    id = "CTRL001"
    outcome = "detected"
    ''')
