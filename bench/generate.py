#!/usr/bin/env python3
"""Generate a large, realistic hardline baseline repository for benchmarking.

    python3 bench/generate.py OUT_DIR [--envs 200] [--baselines 25] [--seed 1729]
                              [--hardline target/release/hardline]

Writes OUT_DIR/{hardline.yaml, schemas/, baselines/, templates/, environments/}, then
runs `HARDLINE -C OUT_DIR render --write` to produce OUT_DIR/deploy/ (the checked-in
files), copies that tree to OUT_DIR.rendered/ (the peer for `diff -r`), and finally runs
`HARDLINE -C OUT_DIR check` and fails unless it exits 0 (no findings, no drift).

Everything is deterministic for a given seed (random.Random(seed), sorted iteration).
Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

# ---------------------------------------------------------------------------
# Config-file families. Each baseline picks one family (round-robin), which decides the
# template style, the target path and the vocabulary of setting names.
# ---------------------------------------------------------------------------

FAMILIES = [
    # (family, format, target template, style, comment prefix)
    ("sshd", "sshd", "etc/ssh/sshd_config.d/{name}.conf", "keyword", "#"),
    ("nginx", "nginx", "etc/nginx/conf.d/{name}.conf", "nginx", "#"),
    ("sysctl", "sysctl", "etc/sysctl.d/60-{name}.conf", "sysctl", "#"),
    ("dockerd", "json", "etc/docker/{name}.json", "json", None),
    ("postgresql", "postgresql", "etc/postgresql/16/main/conf.d/{name}.conf", "pg", "#"),
    ("auditd", "ini", "etc/audit/{name}.conf", "ini", ";"),
    ("kubelet", "yaml", "var/lib/kubelet/{name}.yaml", "yaml", "#"),
    ("containerd", "toml", "etc/containerd/{name}.toml", "toml", "#"),
    ("app", "env", "etc/default/{name}", "env", "#"),
]

WORDS = [
    "max", "min", "client", "server", "session", "worker", "cache", "buffer", "timeout",
    "keepalive", "log", "audit", "tls", "cipher", "proxy", "upload", "header", "request",
    "connection", "retry", "backlog", "queue", "limit", "rate", "idle", "grace", "auth",
    "token", "pool", "thread", "file", "socket", "memory", "disk", "flush", "sync",
    "compress", "redirect", "forward", "tunnel", "banner", "motd", "strict", "verify",
    "check", "probe", "interval", "count", "size", "depth", "level", "mode", "policy",
]

ENUMS = [
    ["VERBOSE", "INFO", "ERROR"],
    ["strict", "moderate", "permissive"],
    ["json-file", "journald", "syslog", "local"],
    ["AUTH", "AUTHPRIV", "LOCAL0", "LOCAL6"],
    ["round_robin", "least_conn", "ip_hash"],
    ["TLSv1.2", "TLSv1.3"],
    ["systemd", "cgroupfs"],
    ["warn", "error", "fatal", "panic"],
]
LIST_POOLS = [
    ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
     "aes256-ctr", "aes192-ctr", "aes128-ctr"],
    ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256",
     "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"],
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "100.64.0.0/10"],
    ["/var/log/audit", "/var/log/secure", "/var/log/auth.log", "/var/log/syslog",
     "/var/log/kern.log"],
    ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    ["CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_SETUID", "CAP_SETGID", "CAP_KILL",
     "CAP_DAC_OVERRIDE"],
    ["sha256", "sha384", "sha512"],
]
# (pattern, generator(rng) -> matching string)
PATTERNS = [
    (r"^[0-9]+(:[0-9]+:[0-9]+)?$",
     lambda r: f"{r.randint(5, 20)}:{r.randint(10, 50)}:{r.randint(60, 120)}"),
    (r"^(none|/[^ ]+)$", lambda r: r.choice(["none", "/etc/issue.net", "/etc/banner"])),
    (r"^[0-9]+(ms|s|m|h)$", lambda r: f"{r.randint(1, 90)}{r.choice(['ms', 's', 'm', 'h'])}"),
    (r"^[0-9]+[kKmMgG]$", lambda r: f"{r.randint(1, 512)}{r.choice(['k', 'm', 'M', 'g'])}"),
    (r"^[a-z0-9.-]+:[0-9]{1,5}$",
     lambda r: f"{r.choice(['127.0.0.1', 'localhost', 'logs.internal'])}:{r.randint(1024, 65535)}"),
    (r"^0[0-7]{3}$", lambda r: "0" + "".join(str(r.randint(0, 7)) for _ in range(3))),
]
SEVERITIES = ["critical", "high", "medium", "medium", "medium", "low", "low", "info"]


def _yesno(rng: random.Random) -> list[str]:
    pair = rng.choice([["yes", "no"], ["on", "off"]])
    return pair


class Setting:
    def __init__(self, name: str, kind: str, spec: dict, locked: bool = False):
        self.name = name
        self.kind = kind  # int | yesno | enum | list | pattern | map | string
        self.spec = spec  # value, min, max, oneOf, subsetOf, pattern, ...
        self.locked = locked
        self.gen = None  # pattern generator


def setting_name(family: str, rng: random.Random, used: set[str], idx: int) -> str:
    while True:
        a, b = rng.sample(WORDS, 2)
        if family == "sshd":
            name = a.capitalize() + b.capitalize()
        elif family == "sysctl":
            name = f"{rng.choice(['net.ipv4', 'net.ipv6', 'kernel', 'vm', 'fs'])}.{a}_{b}"
        elif family in ("nginx", "postgresql", "auditd", "containerd"):
            name = f"{a}_{b}"
        elif family == "dockerd" or family == "kubelet":
            name = a + b.capitalize() if family == "kubelet" else f"{a}-{b}"
        else:  # env
            name = f"{a.upper()}_{b.upper()}"
        if name not in used:
            used.add(name)
            return name


def make_settings(family: str, rng: random.Random) -> list[Setting]:
    n = rng.randint(20, 40)
    used: set[str] = set()
    kinds = (["int"] * 12 + ["yesno"] * 8 + ["enum"] * 4 + ["list"] * 3 + ["pattern"] * 2
             + ["string"] * 2)
    chosen = [rng.choice(kinds) for _ in range(n - 4)]
    # every baseline has at least: 2 lists, 1 pattern, 1 map
    chosen += ["list", "list", "pattern", "map"]
    rng.shuffle(chosen)
    out = []
    for i, kind in enumerate(chosen):
        name = setting_name(family, rng, used, i)
        spec: dict = {}
        s = Setting(name, kind, spec)
        if kind == "int":
            lo = rng.choice([0, 1, 1, 5, 10, 30])
            hi = lo + rng.choice([3, 10, 60, 100, 900, 4096, 65535])
            spec["value"] = rng.randint(lo, hi)
            spec["min"], spec["max"] = lo, hi
        elif kind == "yesno":
            pair = _yesno(rng)
            spec["value"] = rng.choice(pair)
            spec["oneOf"] = pair if rng.random() < 0.6 else [spec["value"]]
            if rng.random() < 0.15:
                s.locked = True
                spec.pop("oneOf")
        elif kind == "enum":
            pool = rng.choice(ENUMS)
            allowed = sorted(rng.sample(pool, rng.randint(2, len(pool))), key=pool.index)
            spec["value"] = allowed[0]
            spec["oneOf"] = allowed
        elif kind == "list":
            pool = rng.choice(LIST_POOLS)
            allowed = pool[: rng.randint(3, len(pool))]
            spec["value"] = allowed[: rng.randint(1, len(allowed))]
            spec["subsetOf"] = allowed
            spec["required"] = True
        elif kind == "pattern":
            pat, gen = rng.choice(PATTERNS)
            s.gen = gen
            spec["value"] = gen(rng)
            spec["pattern"] = pat
        elif kind == "string":
            spec["value"] = rng.choice(["/var/run/app.pid", "default", "/srv/data",
                                        "info@example.com", "UTC"])
            if rng.random() < 0.3:
                spec["value"] = None  # unset by default; rendered only when set
        elif kind == "map":
            keys = sorted(rng.sample(["max-size", "max-file", "mode", "tag", "labels",
                                      "compress", "env"], rng.randint(2, 4)))
            spec["value"] = {k: rng.choice(["10m", "3", "non-blocking", "{{.Name}}",
                                             "production", "true", "1"]) for k in keys}
            # '{{' inside a value is data, not template syntax; keep it out anyway
            spec["value"] = {k: v.replace("{{.Name}}", "app") for k, v in spec["value"].items()}
        out.append(s)
    return out


# ---------------------------------------------------------------------------
# YAML emission (hand-rolled, deterministic; everything quoted where ambiguous)
# ---------------------------------------------------------------------------

def yscalar(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def yflow(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(yscalar(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{yscalar(k)}: {yscalar(x)}" for k, x in v.items()) + " }"
    return yscalar(v)


def baseline_yaml(name: str, family: str, fmt: str, target: str, template: str,
                  settings: list[Setting], rng: random.Random) -> str:
    lines = [
        "# yaml-language-server: $schema=../schemas/baseline.schema.json",
        "apiVersion: hardline/v1",
        "kind: Baseline",
        "metadata:",
        f"  name: {name}",
        "  owner: platform-security@example.com",
        f"  version: 1.{rng.randint(0, 9)}.{rng.randint(0, 20)}",
        f"  description: Generated {family} baseline for benchmarking.",
        "  references:",
        f"    - CIS {family} Benchmark v1.{rng.randint(0, 5)}.0",
        "component:",
        f"  name: {family}",
        "  ecosystem: Debian",
        "render:",
        f"  template: {template}",
        f"  target: {target}",
        f"  format: {fmt}",
        "settings:",
    ]
    for s in settings:
        sp = s.spec
        lines.append(f"  {yscalar(s.name)}:")
        v = sp["value"]
        if isinstance(v, list):
            lines.append("    value:")
            lines += [f"      - {yscalar(x)}" for x in v]
        elif isinstance(v, dict):
            lines.append("    value:")
            lines += [f"      {yscalar(k)}: {yscalar(x)}" for k, x in v.items()]
        else:
            lines.append(f"    value: {yscalar(v)}")
        if s.locked:
            lines.append("    locked: true")
        lines.append(f"    severity: {rng.choice(SEVERITIES)}")
        for key in ("min", "max"):
            if key in sp:
                lines.append(f"    {key}: {sp[key]}")
        if "oneOf" in sp:
            lines.append(f"    oneOf: {yflow(sp['oneOf'])}")
        if "subsetOf" in sp:
            lines.append("    subsetOf:")
            lines += [f"      - {yscalar(x)}" for x in sp["subsetOf"]]
        if "pattern" in sp:
            lines.append(f"    pattern: '{sp['pattern']}'")
        if sp.get("required"):
            lines.append("    required: true")
        lines.append(f"    rationale: {s.name} is pinned so every environment starts from a "
                     f"reviewed, hardened value.")
        if rng.random() < 0.5:
            lines.append(f"    description: Controls {s.name.replace('_', ' ')}.")
        lines.append(f"    references: [\"{family}-{rng.randint(1, 60):02d}\"]")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------

def ref(name: str) -> str:
    return f'settings["{name}"]'


def scalar_line(style: str, name: str, expr: str, quoted: bool) -> str:
    if style == "keyword":
        return f"{name} {expr}"
    if style == "nginx":
        return f"    {name} {expr};"
    if style in ("sysctl", "ini"):
        return f"{name} = {expr}"
    if style == "pg":
        return f"{name} = '{expr}'" if quoted else f"{name} = {expr}"
    if style == "yaml":
        return f'{name}: "{expr}"' if quoted else f"{name}: {expr}"
    if style == "toml":
        return f'{name} = "{expr}"' if quoted else f"{name} = {expr}"
    if style == "env":
        return f'{name}="{expr}"' if quoted else f"{name}={expr}"
    raise ValueError(style)


def list_block(style: str, s: Setting) -> list[str]:
    r = ref(s.name)
    n = s.name
    if style == "keyword":
        return [f"{{% for item in {r} %}}", f"{n} {{{{ item }}}}", "{% endfor %}"]
    if style == "nginx":
        return [f'    {n} {{{{ {r} | join(" ") }}}};']
    if style in ("sysctl", "ini", "env"):
        sep = "=" if style == "env" else " = "
        return [f'{n}{sep}{{{{ {r} | join(",") }}}}']
    if style == "pg":
        return [f"{n} = '{{{{ {r} | join(\",\") }}}}'"]
    if style == "yaml":
        return [f"{n}:", f"{{% for item in {r} %}}", '  - "{{ item }}"', "{% endfor %}"]
    if style == "toml":
        return [f'{n} = [{{% for item in {r} %}}"{{{{ item }}}}"'
                f'{{% if not loop.last %}}, {{% endif %}}{{% endfor %}}]']
    raise ValueError(style)


def map_block(style: str, s: Setting) -> list[str]:
    r = ref(s.name)
    n = s.name
    if style == "keyword":
        return [f"{{% for key, value in {r} | dictsort %}}", f"{n} {{{{ key }}}} {{{{ value }}}}",
                "{% endfor %}"]
    if style == "nginx":
        return [f"{{% for key, value in {r} | dictsort %}}",
                f'    {n} {{{{ key }}}} "{{{{ value }}}}";', "{% endfor %}"]
    if style == "yaml":
        return [f"{n}:", f"{{% for key, value in {r} | dictsort %}}",
                '  {{ key }}: "{{ value }}"', "{% endfor %}"]
    if style == "toml":
        return [f"[{n}]", f"{{% for key, value in {r} | dictsort %}}",
                '"{{ key }}" = "{{ value }}"', "{% endfor %}"]
    if style == "ini":
        return [f"[{n}]", f"{{% for key, value in {r} | dictsort %}}",
                "{{ key }} = {{ value }}", "{% endfor %}"]
    sep = "=" if style == "env" else " = "
    return [f"{{% for key, value in {r} | dictsort %}}",
            f'{n}_{{{{ key | upper | replace("-", "_") }}}}{sep}{{{{ value }}}}',
            "{% endfor %}"]


def template_text(name: str, family: str, style: str, comment: str | None,
                  settings: list[Setting], rng: random.Random) -> str:
    if style == "json":
        return json_template(name, settings)
    c = comment or "#"
    t = [
        "{#- generated benchmark template for baseline " + name + " -#}",
        f"{c} {family} configuration - managed by hardline, do not edit by hand.",
        f"{c} baseline: {{{{ baseline.name }}}} {{{{ baseline.version }}}} (owner {{{{ baseline.owner }}}})",
        f"{c} environment: {{{{ environment.name }}}} ({{{{ vars.domain }}}}, {{{{ vars.region }}}})",
        "",
    ]
    if style == "nginx":
        t += ["server {", "    server_name {{ environment.name }}.{{ vars.domain }};"]
    # Split settings into sections of ~8.
    sections = [settings[i:i + 8] for i in range(0, len(settings), 8)]
    for si, sec in enumerate(sections):
        title = f"Section {si + 1}: {sec[0].name.split('.')[-1]}"
        if style in ("ini", "toml") and si == 0:
            t += [f"[{family}]"]
        t += ["", f"{c} {title}" if style != "nginx" else f"    {c} {title}"]
        loop_group: list[str] = []
        for s in sec:
            q = isinstance(s.spec["value"], str) or s.spec["value"] is None
            if s.kind == "list":
                t += list_block(style, s)
            elif s.kind == "map":
                pass  # maps go at the end (ini/toml tables must come last)
            elif s.spec["value"] is None:
                t += [f"{{% if {ref(s.name)} is not none %}}",
                      scalar_line(style, s.name, f"{{{{ {ref(s.name)} }}}}", True),
                      "{% endif %}"]
            elif s.kind in ("yesno", "enum") and style in ("keyword", "sysctl", "ini", "nginx"):
                loop_group.append(s.name)  # rendered through a loop below, sshd_config style
            else:
                t.append(scalar_line(style, s.name, f"{{{{ {ref(s.name)} }}}}", q))
        if loop_group:
            names = ", ".join(f'"{n}"' for n in loop_group)
            t += [f"{{% for name in [{names}] %}}",
                  "{% if settings[name] is not none %}",
                  scalar_line(style, "{{ name }}", "{{ settings[name] }}", False),
                  "{% endif %}", "{% endfor %}"]
    maps = [s for s in settings if s.kind == "map"]
    for s in maps:
        t += ["", f"{c} {s.name}" if style != "nginx" else f"    {c} {s.name}"]
        t += map_block(style, s)
    if style == "nginx":
        t += ["}"]
    return "\n".join(t) + "\n"


def json_template(name: str, settings: list[Setting]) -> str:
    t = ["{#- generated benchmark template for baseline " + name + " (daemon.json style) -#}",
         "{",
         '  "//": "managed by hardline for {{ environment.name }} ({{ vars.domain }})",',
         '  "baseline": "{{ baseline.name }}-{{ baseline.version }}",']
    body = []
    for s in settings:
        r = ref(s.name)
        v = s.spec["value"]
        if s.kind == "list":
            body.append(f'  "{s.name}": [{{% for item in {r} %}}"{{{{ item }}}}"'
                        f'{{% if not loop.last %}}, {{% endif %}}{{% endfor %}}]')
        elif s.kind == "map":
            body.append(f'  "{s.name}": {{')
            body.append(f"{{% for key, value in {r} | dictsort %}}")
            body.append('    "{{ key }}": "{{ value }}"{{ "," if not loop.last else "" }}')
            body.append("{% endfor %}")
            body.append("  }")
        elif v is None:
            body.append(f'  "{s.name}": {{% if {r} is none %}}null{{% else %}}"{{{{ {r} }}}}"{{% endif %}}')
        elif isinstance(v, int):
            body.append(f'  "{s.name}": {{{{ {r} }}}}')
        else:
            body.append(f'  "{s.name}": "{{{{ {r} }}}}"')
    # put commas after every top-level entry except the last
    entries: list[list[str]] = []
    for line in body:
        if line.startswith('  "'):
            entries.append([line])
        else:
            entries[-1].append(line)
    for i, e in enumerate(entries):
        if i < len(entries) - 1:
            e[-1] += ","
        t += e
    t.append("}")
    return "\n".join(t) + "\n"


# ---------------------------------------------------------------------------
# Environments
# ---------------------------------------------------------------------------

def overlay_value(s: Setting, rng: random.Random):
    sp = s.spec
    if s.kind == "int":
        return rng.randint(sp["min"], sp["max"])
    if s.kind in ("yesno", "enum"):
        return rng.choice(sp["oneOf"])
    if s.kind == "list":
        allowed = sp["subsetOf"]
        k = rng.randint(1, len(allowed))
        picked = set(rng.sample(range(len(allowed)), k))
        return [x for i, x in enumerate(allowed) if i in picked]
    if s.kind == "pattern":
        return s.gen(rng)
    if s.kind == "string":
        return rng.choice(["/run/app.pid", "/srv/app", "Europe/Berlin", "ops@example.com"])
    if s.kind == "map":
        key = rng.choice(sorted(sp["value"]))
        return {key: rng.choice(["5m", "20m", "blocking", "staging", "2"])}
    raise ValueError(s.kind)


def env_yaml(name: str, baselines: list[tuple[str, list[Setting]]], rng: random.Random) -> str:
    region = rng.choice(["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1"])
    lines = [
        "# yaml-language-server: $schema=../schemas/environment.schema.json",
        "apiVersion: hardline/v1",
        "kind: Environment",
        "metadata:",
        f"  name: {name}",
        "  owner: platform-security@example.com",
        f"  description: Generated benchmark environment {name}.",
        f"output: deploy/{name}",
        "vars:",
        f"  domain: {name}.example.com",
        f"  region: {region}",
        "values:",
    ]
    picked = sorted(rng.sample(range(len(baselines)), rng.randint(2, 6)))
    for bi in picked:
        bname, settings = baselines[bi]
        cands = [s for s in settings if not s.locked
                 and not (s.kind == "yesno" and len(s.spec.get("oneOf", [])) < 2)]
        chosen = rng.sample(cands, min(len(cands), rng.randint(1, 5)))
        lines.append(f"  {bname}:")
        for s in sorted(chosen, key=lambda s: s.name):
            lines.append(f"    {yscalar(s.name)}: {yflow(overlay_value(s, rng))}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------

def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=False, **kw)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--envs", type=int, default=200)
    ap.add_argument("--baselines", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1729)
    ap.add_argument("--hardline", default=None,
                    help="hardline binary (default: target/release/hardline next to bench/)")
    ap.add_argument("--force", action="store_true", help="replace OUT_DIR if it exists")
    args = ap.parse_args()

    root = Path(__file__).resolve().parent.parent
    hardline = Path(args.hardline) if args.hardline else root / "target/release/hardline"
    hardline = hardline.resolve()
    if not hardline.is_file():
        print(f"generate.py: hardline binary not found: {hardline}", file=sys.stderr)
        return 2
    out = Path(args.out_dir).resolve()
    peer = out.with_name(out.name + ".rendered")
    if out.exists() or peer.exists():
        if not args.force:
            print(f"generate.py: {out} or {peer} exists (use --force)", file=sys.stderr)
            return 2
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(peer, ignore_errors=True)

    rng = random.Random(args.seed)
    for d in ("baselines", "templates", "environments", "schemas"):
        (out / d).mkdir(parents=True, exist_ok=True)
    for schema in sorted((root / "schemas").glob("*.json")):
        shutil.copyfile(schema, out / "schemas" / schema.name)
    (out / "hardline.yaml").write_text(
        "# yaml-language-server: $schema=schemas/manifest.schema.json\n"
        "apiVersion: hardline/v1\nkind: Manifest\nmetadata:\n  name: hardline-bench\n"
        "  owner: platform-security@example.com\n"
        f"  description: Generated benchmark repository ({args.baselines} baselines x "
        f"{args.envs} environments, seed {args.seed}).\n"
        "paths:\n  baselines: baselines\n  templates: templates\n  environments: environments\n"
        "failOn: medium\n")

    baselines: list[tuple[str, list[Setting]]] = []
    template_lines = []
    for i in range(args.baselines):
        family, fmt, target_t, style, comment = FAMILIES[i % len(FAMILIES)]
        name = f"{family}-{i:02d}"
        settings = make_settings(family, rng)
        # Plain `<name>.j2`: minijinja picks auto-escaping from the extension before `.j2`
        # (`x.json.j2`/`x.yaml.j2` get JSON escaping when its `json` feature is on), and the
        # templates here quote values themselves, so keep the output independent of that.
        template = f"{name}.j2"
        text = template_text(name, family, style, comment, settings, rng)
        template_lines.append(text.count("\n"))
        (out / "templates" / template).write_text(text)
        (out / "baselines" / f"{name}.yaml").write_text(
            baseline_yaml(name, family, fmt, target_t.format(name=name), template, settings, rng))
        baselines.append((name, settings))
    for e in range(args.envs):
        name = f"env-{e:03d}"
        (out / "environments" / f"{name}.yaml").write_text(env_yaml(name, baselines, rng))
    print(f"generate.py: wrote {args.baselines} baselines "
          f"({sum(len(s) for _, s in baselines)} settings, templates "
          f"{min(template_lines)}-{max(template_lines)} lines) and {args.envs} environments")

    r = run([str(hardline), "-C", str(out), "--color", "never", "render", "--write", "-q"],
            stdout=subprocess.DEVNULL)
    if r.returncode != 0:
        print(f"generate.py: `hardline render --write` exited {r.returncode}", file=sys.stderr)
        run([str(hardline), "-C", str(out), "--color", "never", "validate"])
        return 2
    shutil.copytree(out / "deploy", peer)
    nfiles = sum(len(f) for _, _, f in os.walk(out / "deploy"))
    expected = args.envs * args.baselines
    r = run([str(hardline), "-C", str(out), "--color", "never", "check"])
    if r.returncode != 0:
        print(f"generate.py: `hardline check` exited {r.returncode} on the generated repo",
              file=sys.stderr)
        return 2
    if nfiles != expected:
        print(f"generate.py: expected {expected} rendered files, found {nfiles}", file=sys.stderr)
        return 2
    print(f"generate.py: {nfiles} files in {out / 'deploy'}, copy in {peer}; check is clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
