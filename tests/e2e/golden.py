"""Golden tests: see golden.sh. `golden.py --update` rewrites the expected files instead."""
import glob
import json
import os
import subprocess
import sys

BIN = os.environ.get("RDPSCOPE_BIN", "build/rdpscope")
SRC = os.environ.get("RDPSCOPE_SOURCE_DIR", os.getcwd())
EXPECTED = os.path.join(SRC, "tests", "golden", "expected")
TRUTH = os.path.join(SRC, "tests", "golden", "truth.tsv")


def run(args):
    res = subprocess.run([os.path.abspath(BIN) if os.path.sep in BIN else BIN, *args], cwd=SRC,
                         capture_output=True)
    if res.returncode != 0:
        raise RuntimeError(f"rdpscope {' '.join(args)} exited {res.returncode}: "
                           f"{res.stderr.decode(errors='replace').strip()}")
    return res.stdout


def outputs(scenario, keyed):
    cap = f"captures/{scenario}/capture.pcap"
    extra = ["--keylog", f"captures/{scenario}/keys.log"] if keyed else []
    common = [cap, *extra, "--no-progress", "--color", "never"]
    return (run(["analyze", *common, "--format", "text"]),
            run(["analyze", *common, "--format", "json"]))


def load_truth():
    truth = {}
    for line in open(TRUTH, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        scenario, which, stage, outcome, rule, nokeys_stage = line.split("\t")[:6]
        truth.setdefault(scenario, []).append((which, stage, outcome, rule, nokeys_stage))
    return truth


def connections(json_bytes):
    return [r for r in map(json.loads, json_bytes.decode().splitlines())
            if r.get("type") == "connection"]


def pick(conns, which):
    if which == "all":
        return conns
    if which == "last":
        return conns[-1:]
    return [c for c in conns if str(c["id"]) == which]


def main():
    update = "--update" in sys.argv
    scenarios = sorted(os.path.basename(os.path.dirname(p))
                       for p in glob.glob(os.path.join(SRC, "captures", "*", "capture.pcap")))
    if not scenarios:
        print("SKIP: no captures")
        return 77
    truth = load_truth()
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL", what)

    for sc in scenarios:
        keyed = os.path.exists(os.path.join(SRC, "captures", sc, "keys.log"))
        try:
            text, js = outputs(sc, keyed)
            text2, js2 = outputs(sc, keyed)
        except RuntimeError as e:
            check(False, f"{sc}: {e}")
            continue
        check(text == text2 and js == js2, f"{sc}: output differs between two runs")
        for ext, data in (("txt", text), ("jsonl", js)):
            path = os.path.join(EXPECTED, f"{sc}.{ext}")
            if update:
                with open(path, "wb") as f:
                    f.write(data)
                continue
            if not os.path.exists(path):
                check(False, f"{sc}: no expected file {path} (run tools/update-goldens.sh)")
                continue
            with open(path, "rb") as f:
                check(f.read() == data, f"{sc}: {ext} output differs from {path} "
                      f"(diff with tools/update-goldens.sh and git diff)")
        if sc not in truth:
            check(False, f"{sc}: no verdict in tests/golden/truth.tsv")
            continue
        conns = connections(js)
        nokey_conns = connections(outputs(sc, False)[1]) if keyed else conns
        for which, stage, outcome, rule, nokeys_stage in truth[sc]:
            sel = pick(conns, which)
            check(bool(sel), f"{sc}: no connection '{which}'")
            for c in sel:
                d = c.get("diagnosis") or {}
                got = (c["stage_reached"], c["outcome"])
                check(got == (stage, outcome),
                      f"{sc} #{c['id']}: stage/outcome {got}, lab truth ({stage}, {outcome})")
                if rule != "-":
                    check(d.get("rule") in rule.split("|"),
                          f"{sc} #{c['id']}: diagnosis {d.get('rule')}, expected {rule}")
            if keyed:
                for c in pick(nokey_conns, which):
                    want = stage if nokeys_stage == "=" else nokeys_stage
                    check(c["stage_reached"] == want,
                          f"{sc} #{c['id']} without keys: stage {c['stage_reached']}, expected {want}")
    if update:
        print(f"updated expected outputs for {len(scenarios)} captures")
        return 0
    print(f"golden: {len(scenarios)} captures")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


sys.exit(main())
