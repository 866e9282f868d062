#!/usr/bin/env python3
"""Generate a large, realistic hardline baseline repository for benchmarking.

    python3 bench/generate.py OUT_DIR [--envs 200] [--baselines 25] [--seed 1729]
                              [--hardline target/release/hardline]

Writes OUT_DIR/{hardline.yaml, schemas/, baselines/, templates/, environments/}, then
runs `HARDLINE -C OUT_DIR render --write` to produce OUT_DIR/deploy/ (the checked-in
files), copies that tree to OUT_DIR.rendered/ (the peer for `diff -r`), and finally runs
`HARDLINE -C OUT_DIR check` and fails unless it exits 0 with no findings at all (no drift,
and every rendered file conforms: `check` parses each one with its baseline's format).

The repository is realistic for conformance: sshd, nginx, sysctl and postgresql baselines
use real keywords, directives and parameters (sshd's keyword table, http/server/location
directives and `add_header` entries, sysctl keys, postgresql parameters and extension
`family.param` names) with values in the spellings their files use (`on`/`off`, units,
`,`/`:`/space-separated lists); the structured families (json, yaml, toml, ini, env) nest
their settings in sections and name them with a `key:` (JSON Pointer, ini `section.key`,
env variable) matching where the template renders them.

Everything is deterministic for a given seed (random.Random(seed), sorted iteration).
Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

# ---------------------------------------------------------------------------
# Config-file families. Each baseline picks one family (round-robin), which decides the
# template style, the target path and the settings (a catalogue of real keys for the text
# formats, generated names placed in sections for the structured ones).
# ---------------------------------------------------------------------------

FAMILIES = [
    # (family, format, target template, comment prefix)
    ("sshd", "sshd", "etc/ssh/sshd_config.d/{name}.conf", "#"),
    ("nginx", "nginx", "etc/nginx/conf.d/{name}.conf", "#"),
    # Three baselines share the sysctl key catalogue (a real host has one sysctl baseline):
    # each renders outside /etc/sysctl.d proper, so they do not form one boot-time set whose
    # later files override the earlier ones' keys.
    ("sysctl", "sysctl", "etc/sysctl.d/{name}/60-hardening.conf", "#"),
    ("dockerd", "json", "etc/docker/{name}.json", None),
    ("postgresql", "postgresql", "etc/postgresql/16/main/conf.d/{name}.conf", "#"),
    ("auditd", "ini", "etc/audit/{name}.conf", ";"),
    ("kubelet", "yaml", "var/lib/kubelet/{name}.yaml", "#"),
    ("containerd", "toml", "etc/containerd/{name}.toml", "#"),
    ("app", "env", "etc/default/{name}", "#"),
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


def _rint(lo: int, hi: int):
    return lambda r: str(r.randint(lo, hi))


def _unit(lo: int, hi: int, units: list[str]):
    return lambda r: f"{r.randint(lo, hi)}{r.choice(units)}"


# (pattern, generator(rng) -> matching string), for the structured families
PATTERNS = [
    (r"^[0-9]+(:[0-9]+:[0-9]+)?$",
     lambda r: f"{r.randint(5, 20)}:{r.randint(10, 50)}:{r.randint(60, 120)}"),
    (r"^(none|/[^ ]+)$", lambda r: r.choice(["none", "/etc/issue.net", "/etc/banner"])),
    (r"^[0-9]+(ms|s|m|h)$", _unit(1, 90, ["ms", "s", "m", "h"])),
    (r"^[0-9]+[kKmMgG]$", _unit(1, 512, ["k", "m", "M", "g"])),
    (r"^[a-z0-9.-]+:[0-9]{1,5}$",
     lambda r: f"{r.choice(['127.0.0.1', 'localhost', 'logs.internal'])}:{r.randint(1024, 65535)}"),
    (r"^0[0-7]{3}$", lambda r: "0" + "".join(str(r.randint(0, 7)) for _ in range(3))),
]
MODE = (r"^0[0-7]{3}$", lambda r: "0" + r.choice(["600", "640", "644", "700", "750"]))
SEVERITIES = ["critical", "high", "medium", "medium", "medium", "low", "low", "info"]

# ---------------------------------------------------------------------------
# Catalogues of real keys for the text formats. Entries: (name, kind, domain, extra).
#   int: (lo, hi)          flag: (a, b) the two spellings      enum: allowed values
#   list: pool (ordered)   pattern: (regex, generator)         string: choices
#   map: {key: [values]}
# extra: shape (how a list is written), where (nginx block), key (lookup key).
# ---------------------------------------------------------------------------

YN = ("yes", "no")
ONOFF = ("on", "off")
BIT = (1, 0)

SSHD = [
    ("Port", "int", (22, 2222), {}),
    ("MaxAuthTries", "int", (1, 6), {}),
    ("MaxSessions", "int", (1, 10), {}),
    ("ClientAliveInterval", "int", (0, 900), {}),
    ("ClientAliveCountMax", "int", (0, 5), {}),
    ("LoginGraceTime", "int", (10, 120), {}),
    ("X11DisplayOffset", "int", (10, 100), {}),
    ("RequiredRSASize", "int", (2048, 4096), {}),
    ("PerSourceMaxStartups", "int", (1, 100), {}),
] + [(k, "flag", YN, {}) for k in [
    "PermitEmptyPasswords", "PasswordAuthentication", "PubkeyAuthentication",
    "HostbasedAuthentication", "IgnoreRhosts", "X11Forwarding", "AllowAgentForwarding",
    "PermitTTY", "PermitUserRC", "UseDNS", "UsePAM", "StrictModes", "PrintMotd",
    "PrintLastLog", "TCPKeepAlive", "KbdInteractiveAuthentication", "GSSAPIAuthentication",
    "KerberosAuthentication", "GSSAPICleanupCredentials", "PermitUserEnvironment",
    "IgnoreUserKnownHosts", "X11UseLocalhost", "StreamLocalBindUnlink", "ExposeAuthInfo",
    "DisableForwarding", "HostbasedUsesNameFromPacketOnly", "DebianBanner",
]] + [
    ("LogLevel", "enum", ["VERBOSE", "INFO", "ERROR", "QUIET", "FATAL"], {}),
    ("SyslogFacility", "enum", ["AUTH", "AUTHPRIV", "LOCAL0", "LOCAL6"], {}),
    ("PermitRootLogin", "enum", ["no", "prohibit-password", "forced-commands-only"], {}),
    ("AllowTcpForwarding", "enum", ["no", "local", "remote"], {}),
    ("AllowStreamLocalForwarding", "enum", ["no", "local", "remote"], {}),
    ("GatewayPorts", "enum", ["no", "clientspecified"], {}),
    ("PermitTunnel", "enum", ["no", "point-to-point", "ethernet"], {}),
    ("Compression", "enum", ["no", "delayed"], {}),
    ("AddressFamily", "enum", ["inet", "any", "inet6"], {}),
    ("FingerprintHash", "enum", ["sha256", "md5"], {}),
    ("Ciphers", "list", ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com",
                         "aes128-gcm@openssh.com", "aes256-ctr", "aes192-ctr", "aes128-ctr"],
     {"shape": ","}),
    ("MACs", "list", ["hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com",
                      "umac-128-etm@openssh.com", "hmac-sha2-512", "hmac-sha2-256"],
     {"shape": ","}),
    ("KexAlgorithms", "list", ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256",
                               "curve25519-sha256@libssh.org", "diffie-hellman-group16-sha512",
                               "diffie-hellman-group18-sha512",
                               "diffie-hellman-group-exchange-sha256"], {"shape": ","}),
    ("HostKeyAlgorithms", "list", ["ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com",
                                   "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"],
     {"shape": ","}),
    ("PubkeyAcceptedAlgorithms", "list", ["ssh-ed25519", "sk-ssh-ed25519@openssh.com",
                                          "ecdsa-sha2-nistp384", "rsa-sha2-512",
                                          "rsa-sha2-256"], {"shape": ","}),
    ("CASignatureAlgorithms", "list", ["ssh-ed25519", "ecdsa-sha2-nistp256",
                                       "ecdsa-sha2-nistp384", "rsa-sha2-512"], {"shape": ","}),
    ("AcceptEnv", "list", ["LANG", "LC_*", "TZ", "COLORTERM", "GIT_PROTOCOL"], {"shape": " "}),
    ("AllowGroups", "list", ["ssh-users", "wheel", "sudo", "admin", "deploy"], {"shape": " "}),
    ("DenyUsers", "list", ["root", "guest", "nobody", "games", "ftp"], {"shape": " "}),
    ("AuthorizedKeysFile", "list", [".ssh/authorized_keys", ".ssh/authorized_keys2",
                                    "/etc/ssh/authorized_keys/%u"], {"shape": " "}),
    ("HostKey", "list", ["/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ecdsa_key",
                         "/etc/ssh/ssh_host_rsa_key"], {"shape": "lines"}),
    ("ListenAddress", "list", ["0.0.0.0", "::", "10.0.0.10", "192.168.10.10"],
     {"shape": "lines"}),
    ("MaxStartups", "pattern", (r"^[0-9]+(:[0-9]+:[0-9]+)?$",
                                lambda r: f"{r.randint(5, 20)}:{r.randint(10, 50)}:{r.randint(60, 120)}"), {}),
    ("Banner", "pattern", (r"^(none|/[^ ]+)$",
                           lambda r: r.choice(["none", "/etc/issue.net", "/etc/banner"])), {}),
    ("StreamLocalBindMask", "pattern", MODE, {}),
    ("RekeyLimit", "pattern", (r"^(default|[0-9]+[KMG]) (none|[0-9]+[smh])$",
                               lambda r: f"{r.randint(1, 4)}{r.choice('MG')} {r.randint(1, 60)}{r.choice('smh')}"), {}),
    ("PerSourceNetBlockSize", "pattern", (r"^[0-9]{1,2}(:[0-9]{1,3})?$",
                                          lambda r: f"{r.choice([24, 32])}:{r.choice([64, 128])}"), {}),
    ("UnusedConnectionTimeout", "pattern", (r"^(none|[0-9]+[smh])$", _unit(1, 60, ["s", "m", "h"])), {}),
    ("PidFile", "string", ["/run/sshd.pid", "/var/run/sshd.pid"], {}),
    ("TrustedUserCAKeys", "string", ["/etc/ssh/trusted-user-ca-keys.pem", "/etc/ssh/ca.pub"], {}),
    ("RevokedKeys", "string", ["/etc/ssh/revoked_keys", "/etc/ssh/krl"], {}),
    ("ModuliFile", "string", ["/etc/ssh/moduli", "/etc/ssh/moduli.safe"], {}),
    ("VersionAddendum", "string", ["none", "hardened"], {}),
    ("XAuthLocation", "string", ["/usr/bin/xauth", "/usr/local/bin/xauth"], {}),
    ("ChrootDirectory", "string", ["none", "/srv/chroot"], {}),
    ("Subsystem", "map", {"sftp": ["internal-sftp", "/usr/lib/openssh/sftp-server"],
                          "backup": ["/usr/local/libexec/backup-subsystem"],
                          "netconf": ["/usr/sbin/netconfd", "/usr/local/sbin/netconfd"]}, {}),
]

SRV = {"where": "server"}
LOC = {"where": "location"}
NGINX = [(k, "flag", ONOFF, {}) for k in [
    "server_tokens", "sendfile", "tcp_nopush", "tcp_nodelay", "gzip", "gzip_vary",
    "ssl_prefer_server_ciphers", "ssl_session_tickets", "ssl_stapling", "ssl_stapling_verify",
    "absolute_redirect", "port_in_redirect", "server_name_in_redirect", "msie_padding",
    "underscores_in_headers", "ignore_invalid_headers", "etag", "log_not_found",
    "open_file_cache_errors", "reset_timedout_connection", "chunked_transfer_encoding",
    "merge_slashes", "log_subrequest",
]] + [(k, "flag", ONOFF, LOC) for k in ["autoindex", "proxy_buffering",
                                        "proxy_request_buffering"]] + [
    ("keepalive_requests", "int", (100, 10000), {}),
    ("types_hash_max_size", "int", (1024, 4096), {}),
    ("server_names_hash_bucket_size", "int", (32, 128), {}),
    ("gzip_comp_level", "int", (1, 9), {}),
    ("gzip_min_length", "int", (20, 2048), {}),
    ("limit_req_status", "int", (429, 503), {}),
    ("limit_conn_status", "int", (429, 503), {}),
    ("keepalive_timeout", "int", (5, 75), {}),
    ("send_timeout", "int", (5, 60), {}),
    ("client_body_timeout", "int", (5, 60), {}),
    ("client_header_timeout", "int", (5, 60), {}),
    ("open_file_cache_min_uses", "int", (1, 10), {}),
    ("lingering_timeout", "int", (1, 30), {}),
    ("limit_req_log_level", "enum", ["error", "warn", "notice", "info"], {}),
    ("limit_conn_log_level", "enum", ["error", "warn", "notice", "info"], {}),
    ("if_modified_since", "enum", ["exact", "before", "off"], {}),
    ("proxy_http_version", "enum", ["1.1", "1.0"], LOC),
    ("ssl_protocols", "list", ["TLSv1.3", "TLSv1.2"], {"shape": " "}),
    ("ssl_ciphers", "list", ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
                             "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
                             "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"],
     {"shape": ":"}),
    ("ssl_ecdh_curve", "list", ["X25519", "prime256v1", "secp384r1"], {"shape": ":"}),
    ("gzip_types", "list", ["text/plain", "text/css", "application/json",
                            "application/javascript", "text/xml", "image/svg+xml"],
     {"shape": " "}),
    ("gzip_proxied", "list", ["expired", "no-cache", "no-store", "private", "auth"],
     {"shape": " "}),
    ("index", "list", ["index.html", "index.htm", "default.html"], {"shape": " ", **SRV}),
    ("client_max_body_size", "pattern", (r"^[0-9]+[kKmMgG]?$", _unit(1, 512, ["k", "m", "M"])), {}),
    ("client_body_buffer_size", "pattern", (r"^[0-9]+[kKmM]$", _unit(8, 128, ["k", "K"])), {}),
    ("client_header_buffer_size", "pattern", (r"^[0-9]+[kK]$", _unit(1, 8, ["k"])), {}),
    ("large_client_header_buffers", "pattern", (r"^[0-9]+ [0-9]+[kKmM]$",
                                                lambda r: f"{r.randint(2, 8)} {r.choice([8, 16, 32])}k"), {}),
    ("ssl_session_timeout", "pattern", (r"^[0-9]+[smhd]$", _unit(1, 60, ["m", "h"])), {}),
    ("ssl_buffer_size", "pattern", (r"^[0-9]+[kK]$", _unit(4, 16, ["k"])), {}),
    ("ssl_session_cache", "pattern", (r"^(off|none|shared:[A-Za-z]+:[0-9]+[mk])$",
                                      lambda r: f"shared:SSL:{r.randint(1, 50)}m"), {}),
    ("expires", "pattern", (r"^(off|[0-9]+[smhd])$", _unit(1, 30, ["m", "h", "d"])), LOC),
    ("proxy_read_timeout", "pattern", (r"^[0-9]+s$", _unit(5, 300, ["s"])), LOC),
    ("proxy_connect_timeout", "pattern", (r"^[0-9]+s$", _unit(1, 75, ["s"])), LOC),
    ("listen", "pattern", (r"^[0-9]+( ssl)?$",
                           lambda r: r.choice(["443 ssl", "8443 ssl", "80", "8080"])), SRV),
    ("charset", "string", ["utf-8", "koi8-r"], {}),
    ("default_type", "string", ["application/octet-stream", "text/plain"], {}),
    ("ssl_dhparam", "string", ["/etc/nginx/dhparam.pem", "/etc/ssl/dhparam.pem"], {}),
    ("access_log", "string", ["/var/log/nginx/access.log", "/var/log/nginx/site.log"], {}),
    ("root", "string", ["/var/www/html", "/srv/www"], SRV),
    ("ssl_certificate", "string", ["/etc/ssl/certs/site.pem", "/etc/nginx/tls/site.crt"], SRV),
    ("ssl_certificate_key", "string", ["/etc/ssl/private/site.key", "/etc/nginx/tls/site.key"], SRV),
    ("ssl_trusted_certificate", "string", ["/etc/ssl/certs/ca.pem", "/etc/nginx/tls/ca.crt"], SRV),
    ("x_frame_options", "enum", ["DENY", "SAMEORIGIN"],
     {"key": "add_header X-Frame-Options", **SRV}),
    ("x_content_type_options", "string", ["nosniff"],
     {"key": "add_header X-Content-Type-Options", **SRV}),
    ("referrer_policy", "enum", ["no-referrer", "strict-origin-when-cross-origin", "same-origin"],
     {"key": "add_header Referrer-Policy", **SRV}),
    ("cross_origin_opener_policy", "enum", ["same-origin", "same-origin-allow-popups"],
     {"key": "add_header Cross-Origin-Opener-Policy", **SRV}),
    ("x_xss_protection", "enum", ["0", "1; mode=block"],
     {"key": "add_header X-XSS-Protection", **SRV}),
    ("strict_transport_security", "pattern",
     (r"^max-age=[0-9]+(; includeSubDomains)?(; preload)?$",
      lambda r: f"max-age={r.choice([31536000, 63072000])}; includeSubDomains"),
     {"key": "add_header Strict-Transport-Security", **SRV}),
]

SYSCTL = [(k, "flag", BIT, {}) for k in [
    "net.ipv4.ip_forward", "net.ipv4.conf.all.accept_redirects",
    "net.ipv4.conf.default.accept_redirects", "net.ipv4.conf.all.secure_redirects",
    "net.ipv4.conf.default.secure_redirects", "net.ipv4.conf.all.send_redirects",
    "net.ipv4.conf.default.send_redirects", "net.ipv4.conf.all.accept_source_route",
    "net.ipv4.conf.default.accept_source_route", "net.ipv4.conf.all.log_martians",
    "net.ipv4.conf.default.log_martians", "net.ipv4.icmp_echo_ignore_broadcasts",
    "net.ipv4.icmp_ignore_bogus_error_responses", "net.ipv4.tcp_syncookies",
    "net.ipv4.tcp_timestamps", "net.ipv4.tcp_sack", "net.ipv4.tcp_rfc1337",
    "net.ipv6.conf.all.accept_redirects", "net.ipv6.conf.default.accept_redirects",
    "net.ipv6.conf.all.accept_ra", "net.ipv6.conf.default.accept_ra",
    "net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.all.forwarding",
    "net.ipv6.conf.all.accept_source_route", "kernel.unprivileged_bpf_disabled",
    "fs.protected_hardlinks", "fs.protected_symlinks", "kernel.dmesg_restrict",
    "kernel.kexec_load_disabled", "dev.tty.ldisc_autoload",
]] + [
    ("net.ipv4.conf.all.rp_filter", "enum", [1, 2, 0], {}),
    ("net.ipv4.conf.default.rp_filter", "enum", [1, 2, 0], {}),
    ("net.core.bpf_jit_harden", "enum", [2, 1, 0], {}),
    ("fs.protected_fifos", "enum", [2, 1, 0], {}),
    ("fs.protected_regular", "enum", [2, 1, 0], {}),
    ("fs.suid_dumpable", "enum", [0, 2], {}),
    ("kernel.kptr_restrict", "enum", [2, 1], {}),
    ("kernel.yama.ptrace_scope", "enum", [1, 2, 3], {}),
    ("kernel.perf_event_paranoid", "enum", [3, 2], {}),
    ("kernel.randomize_va_space", "enum", [2, 1], {}),
    ("vm.overcommit_memory", "enum", [0, 1, 2], {}),
    ("net.ipv4.tcp_congestion_control", "enum", ["cubic", "bbr", "reno"], {}),
    ("net.core.default_qdisc", "enum", ["fq_codel", "fq", "pfifo_fast"], {}),
    ("vm.swappiness", "int", (0, 100), {}),
    ("vm.dirty_ratio", "int", (5, 40), {}),
    ("vm.dirty_background_ratio", "int", (1, 20), {}),
    ("vm.max_map_count", "int", (65530, 1048576), {}),
    ("vm.min_free_kbytes", "int", (16384, 262144), {}),
    ("fs.file-max", "int", (100000, 2097152), {}),
    ("fs.inotify.max_user_watches", "int", (8192, 1048576), {}),
    ("fs.inotify.max_user_instances", "int", (128, 8192), {}),
    ("kernel.pid_max", "int", (32768, 4194304), {}),
    ("kernel.sysrq", "int", (0, 176), {}),
    ("user.max_user_namespaces", "int", (0, 63000), {}),
    ("net.core.somaxconn", "int", (128, 65535), {}),
    ("net.core.netdev_max_backlog", "int", (1000, 65536), {}),
    ("net.ipv4.tcp_max_syn_backlog", "int", (128, 65536), {}),
    ("net.ipv4.tcp_fin_timeout", "int", (10, 60), {}),
    ("net.ipv4.tcp_keepalive_time", "int", (600, 7200), {}),
    ("net.ipv4.tcp_keepalive_intvl", "int", (10, 75), {}),
    ("net.ipv4.tcp_keepalive_probes", "int", (3, 9), {}),
    ("net.ipv4.tcp_synack_retries", "int", (1, 5), {}),
    ("net.ipv4.tcp_syn_retries", "int", (1, 6), {}),
    ("net.core.rmem_max", "int", (212992, 16777216), {}),
    ("net.core.wmem_max", "int", (212992, 16777216), {}),
    ("net.ipv4.ip_local_port_range", "pattern", (r"^[0-9]+ [0-9]+$",
                                                 lambda r: f"{r.choice([1024, 32768])} {r.choice([60999, 65535])}"), {}),
    ("net.ipv4.tcp_rmem", "pattern", (r"^[0-9]+ [0-9]+ [0-9]+$",
                                      lambda r: f"4096 {r.choice([87380, 131072])} {r.choice([6291456, 16777216])}"), {}),
    ("net.ipv4.tcp_wmem", "pattern", (r"^[0-9]+ [0-9]+ [0-9]+$",
                                      lambda r: f"4096 {r.choice([16384, 65536])} {r.choice([4194304, 16777216])}"), {}),
    ("net.ipv4.ping_group_range", "pattern", (r"^[0-9]+ [0-9]+$",
                                              lambda r: r.choice(["1 0", "0 2147483647", "100 100"])), {}),
    ("kernel.printk", "pattern", (r"^[0-7]( [0-7]){3}$",
                                  lambda r: f"{r.randint(3, 4)} 4 1 {r.randint(3, 7)}"), {}),
    ("kernel.core_pattern", "string", ["core", "|/bin/false", "/var/crash/core.%e.%p"], {}),
]

PG = [
    ("max_connections", "int", (20, 500), {}),
    ("superuser_reserved_connections", "int", (1, 10), {}),
    ("max_wal_senders", "int", (0, 20), {}),
    ("max_replication_slots", "int", (0, 20), {}),
    ("max_worker_processes", "int", (2, 64), {}),
    ("max_parallel_workers", "int", (2, 32), {}),
    ("max_parallel_workers_per_gather", "int", (0, 8), {}),
    ("max_locks_per_transaction", "int", (64, 256), {}),
    ("autovacuum_max_workers", "int", (1, 10), {}),
    ("autovacuum_vacuum_threshold", "int", (50, 1000), {}),
    ("autovacuum_analyze_threshold", "int", (50, 1000), {}),
    ("default_statistics_target", "int", (10, 1000), {}),
    ("effective_io_concurrency", "int", (0, 256), {}),
    ("checkpoint_timeout", "int", (30, 3600), {}),
    ("authentication_timeout", "int", (1, 600), {}),
    ("tcp_keepalives_idle", "int", (0, 7200), {}),
    ("tcp_keepalives_interval", "int", (0, 75), {}),
    ("tcp_keepalives_count", "int", (0, 10), {}),
    ("archive_timeout", "int", (0, 3600), {}),
    ("autovacuum_naptime", "int", (1, 600), {}),
    ("port", "int", (5432, 5439), {}),
    ("pg_stat_statements.max", "int", (1000, 10000), {}),
] + [(k, "flag", ONOFF, {}) for k in [
    "ssl", "log_connections", "log_disconnections", "log_checkpoints", "log_lock_waits",
    "log_hostname", "logging_collector", "log_truncate_on_rotation", "fsync",
    "full_page_writes", "autovacuum", "track_activities", "track_counts", "track_io_timing",
    "hot_standby", "ssl_prefer_server_ciphers", "row_security", "jit", "wal_log_hints",
    "log_replication_commands", "pgaudit.log_catalog", "pgaudit.log_relation",
]] + [
    ("password_encryption", "enum", ["scram-sha-256", "md5"], {}),
    ("log_min_messages", "enum", ["warning", "error", "log", "notice", "info"], {}),
    ("log_statement", "enum", ["ddl", "mod", "all", "none"], {}),
    ("ssl_min_protocol_version", "enum", ["TLSv1.2", "TLSv1.3"], {}),
    ("wal_level", "enum", ["replica", "logical", "minimal"], {}),
    ("log_error_verbosity", "enum", ["default", "terse", "verbose"], {}),
    ("synchronous_commit", "enum", ["on", "off", "local", "remote_write", "remote_apply"], {}),
    ("archive_mode", "enum", ["on", "off", "always"], {}),
    ("huge_pages", "enum", ["try", "on", "off"], {}),
    ("default_transaction_isolation", "enum",
     ["read committed", "repeatable read", "serializable"], {}),
    ("pg_stat_statements.track", "enum", ["top", "all", "none"], {}),
    ("pgaudit.log_level", "enum", ["log", "notice", "warning"], {}),
    ("shared_preload_libraries", "list", ["pg_stat_statements", "auto_explain", "pgaudit",
                                          "pg_cron"], {}),
    ("listen_addresses", "list", ["localhost", "127.0.0.1", "10.0.0.5", "192.168.10.5"], {}),
    ("log_destination", "list", ["stderr", "csvlog", "syslog", "jsonlog"], {}),
    ("pgaudit.log", "list", ["ddl", "role", "write", "read", "function", "misc"], {}),
    ("session_preload_libraries", "list", ["auto_explain", "pg_hint_plan"], {}),
    ("shared_buffers", "pattern", (r"^[0-9]+(MB|GB)$", _unit(1, 64, ["MB", "GB"])), {}),
    ("work_mem", "pattern", (r"^[0-9]+(kB|MB)$", _unit(4, 256, ["kB", "MB"])), {}),
    ("maintenance_work_mem", "pattern", (r"^[0-9]+(MB|GB)$", _unit(64, 2048, ["MB"])), {}),
    ("effective_cache_size", "pattern", (r"^[0-9]+(MB|GB)$", _unit(1, 64, ["GB"])), {}),
    ("statement_timeout", "pattern", (r"^[0-9]+(ms|s|min)$", _unit(1, 60, ["s", "min"])), {}),
    ("idle_in_transaction_session_timeout", "pattern", (r"^[0-9]+(s|min|h)$",
                                                        _unit(1, 60, ["s", "min"])), {}),
    ("lock_timeout", "pattern", (r"^[0-9]+(ms|s)$", _unit(1, 30, ["s"])), {}),
    ("deadlock_timeout", "pattern", (r"^[0-9]+(ms|s)$", _unit(1, 5, ["s"])), {}),
    ("log_rotation_age", "pattern", (r"^[0-9]+(min|h|d)$", _unit(1, 7, ["h", "d"])), {}),
    ("log_rotation_size", "pattern", (r"^[0-9]+(kB|MB|GB)$", _unit(10, 500, ["MB"])), {}),
    ("max_wal_size", "pattern", (r"^[0-9]+(MB|GB)$", _unit(1, 16, ["GB"])), {}),
    ("min_wal_size", "pattern", (r"^[0-9]+(MB|GB)$", _unit(80, 1024, ["MB"])), {}),
    ("log_min_duration_statement", "pattern", (r"^[0-9]+(ms|s)$", _unit(100, 5000, ["ms"])), {}),
    ("auto_explain.log_min_duration", "pattern", (r"^[0-9]+(ms|s)$", _unit(1, 10, ["s"])), {}),
    ("log_file_mode", "pattern", MODE, {}),
    ("unix_socket_permissions", "pattern", (r"^0[0-7]{3}$",
                                            lambda r: r.choice(["0700", "0770", "0777"])), {}),
    ("ssl_cert_file", "string", ["/etc/ssl/certs/ssl-cert-snakeoil.pem", "/etc/postgresql/tls/server.crt"], {}),
    ("ssl_key_file", "string", ["/etc/ssl/private/ssl-cert-snakeoil.key", "/etc/postgresql/tls/server.key"], {}),
    ("ssl_ca_file", "string", ["/etc/postgresql/tls/ca.crt", "/etc/ssl/certs/ca.pem"], {}),
    ("log_directory", "string", ["log", "/var/log/postgresql"], {}),
    ("log_filename", "string", ["postgresql-%a.log", "postgresql-%Y-%m-%d.log"], {}),
    ("unix_socket_directories", "string", ["/var/run/postgresql", "/tmp"], {}),
    ("cluster_name", "string", ["16/main", "primary"], {}),
    ("timezone", "string", ["UTC", "Etc/UTC", "Europe/Berlin"], {}),
    ("log_timezone", "string", ["UTC", "Etc/UTC"], {}),
    ("datestyle", "string", ["iso, mdy", "iso, dmy"], {}),
    ("log_line_prefix", "string", ["%m [%p] %q%u@%d ", "%t [%p]: user=%u,db=%d "], {}),
]

CATALOGS = {"sshd": SSHD, "nginx": NGINX, "sysctl": SYSCTL, "postgresql": PG}

# Sections of the structured families: where a setting goes, as a path of member names
# (json/yaml/toml objects and tables, ini sections). `[]` is the top level.
SECTIONS = {
    "dockerd": [[], [], ["features"], ["builder", "gc"], ["metrics"]],
    "kubelet": [[], ["authentication", "webhook"], ["authorization"], ["logging"],
                ["eviction"], ["server"]],
    "containerd": [[], ["grpc"], ["debug"], ["metrics"],
                   ["plugins", "io.containerd.grpc.v1.cri"],
                   ["plugins", "io.containerd.grpc.v1.cri", "containerd"]],
    "auditd": [["auditd"], ["logging"], ["dispatcher"], ["space"]],
    "app": [[]],
}
# Flag spellings of the structured families.
STRUCTURED_FLAGS = {"dockerd": [(True, False)], "kubelet": [(True, False)],
                    "containerd": [(True, False)], "auditd": [YN, ONOFF, ("true", "false")],
                    "app": [("true", "false"), YN]}
MAP_KEYS = ["max-size", "max-file", "mode", "tag", "labels", "compress", "env"]
MAP_VALUES = ["10m", "3", "non-blocking", "app", "production", "true", "1"]


class Setting:
    def __init__(self, name: str, kind: str, spec: dict, locked: bool = False):
        self.name = name
        self.kind = kind  # int | flag | enum | list | pattern | map | string
        self.spec = spec  # value, min, max, oneOf, subsetOf, pattern, ...
        self.locked = locked
        self.gen = None  # pattern generator
        self.choices: list = []  # string values (default and overlays)
        self.map_values: dict = {}  # map: key -> values
        self.key: str | None = None  # where conform finds it, when not the name
        self.shape = ","  # how a list is written in a text format
        self.where = ""  # nginx block ("", "server", "location")
        self.path: list[str] = []  # structured families: enclosing sections


def word_name(family: str, rng: random.Random, used: set[str]) -> str:
    while True:
        a, b = rng.sample(WORDS, 2)
        if family in ("auditd", "containerd"):
            name = f"{a}_{b}"
        elif family == "kubelet":
            name = a + b.capitalize()
        elif family == "dockerd":
            name = f"{a}-{b}"
        else:  # env
            name = f"{a.upper()}_{b.upper()}"
        if name not in used:
            used.add(name)
            return name


def make_spec(s: Setting, dom, rng: random.Random) -> None:
    spec, kind = s.spec, s.kind
    if kind == "int":
        lo, hi = dom
        span = hi - lo
        lo, hi = lo + rng.randint(0, span // 4), hi - rng.randint(0, span // 4)
        spec["value"] = rng.randint(lo, hi)
        spec["min"], spec["max"] = lo, hi
    elif kind == "flag":
        pair = list(dom)
        spec["value"] = rng.choice(pair)
        spec["oneOf"] = pair if rng.random() < 0.6 else [spec["value"]]
        if rng.random() < 0.15:
            s.locked = True
            spec.pop("oneOf")
    elif kind == "enum":
        allowed = sorted(rng.sample(dom, rng.randint(2, len(dom))), key=dom.index)
        spec["value"] = allowed[0]
        spec["oneOf"] = allowed
    elif kind == "list":
        allowed = dom[: rng.randint(min(3, len(dom)), len(dom))]
        spec["value"] = allowed[: rng.randint(1, len(allowed))]
        spec["subsetOf"] = allowed
        spec["required"] = True
    elif kind == "pattern":
        pat, gen = dom
        s.gen = gen
        spec["value"] = gen(rng)
        spec["pattern"] = pat
    elif kind == "string":
        s.choices = list(dom)
        spec["value"] = rng.choice(s.choices)
        if rng.random() < 0.3:
            spec["value"] = None  # unset by default; rendered only when set
    elif kind == "map":
        s.map_values = dom
        keys = sorted(rng.sample(sorted(dom), rng.randint(2, min(4, len(dom)))))
        spec["value"] = {k: rng.choice(dom[k]) for k in keys}
    else:
        raise ValueError(kind)


def catalog_settings(family: str, rng: random.Random) -> list[Setting]:
    """20-40 real settings of a text-format family: at least two lists, a pattern and (where
    the format has one) a map, the rest drawn at random; in catalogue order."""
    catalog = CATALOGS[family]
    n = rng.randint(20, 40)
    by_kind = lambda k: [i for i, e in enumerate(catalog) if e[1] == k]  # noqa: E731
    picked = set(rng.sample(by_kind("list"), min(2, len(by_kind("list")))))
    picked |= set(rng.sample(by_kind("pattern"), 1))
    picked |= set(rng.sample(by_kind("map"), min(1, len(by_kind("map")))))
    rest = [i for i in range(len(catalog)) if i not in picked]
    picked |= set(rng.sample(rest, n - len(picked)))
    out = []
    for i in sorted(picked):
        name, kind, dom, extra = catalog[i]
        s = Setting(name, kind, {})
        make_spec(s, dom, rng)
        s.key = extra.get("key")
        s.shape = extra.get("shape", ",")
        s.where = extra.get("where", "")
        if s.key is None and s.where:  # nginx: the block path
            s.key = "server/" + name if s.where == "server" else "server/location/" + name
        out.append(s)
    return out


def word_settings(family: str, rng: random.Random) -> list[Setting]:
    """20-40 generated settings of a structured family, each in a section, found by `key`."""
    n = rng.randint(20, 40)
    used: set[str] = set()
    kinds = (["int"] * 12 + ["flag"] * 8 + ["enum"] * 4 + ["list"] * 3 + ["pattern"] * 2
             + ["string"] * 2)
    chosen = [rng.choice(kinds) for _ in range(n - 4)]
    # every baseline has at least: 2 lists, 1 pattern, 1 map (env files have no maps)
    chosen += ["list", "list", "pattern", "map" if family != "app" else "int"]
    rng.shuffle(chosen)
    sections = SECTIONS[family]
    out = []
    for kind in chosen:
        s = Setting(word_name(family, rng, used), kind, {})
        if kind == "flag":
            dom = rng.choice(STRUCTURED_FLAGS[family])
        elif kind == "int":
            lo = rng.choice([0, 1, 1, 5, 10, 30])
            dom = (lo, lo + rng.choice([3, 10, 60, 100, 900, 4096, 65535]))
        elif kind == "enum":
            dom = rng.choice(ENUMS)
        elif kind == "list":
            dom = rng.choice(LIST_POOLS)
        elif kind == "pattern":
            dom = rng.choice(PATTERNS)
        elif kind == "string":
            dom = ["/var/run/app.pid", "default", "/srv/data", "info@example.com", "UTC",
                   "/run/app.pid", "/srv/app", "Europe/Berlin", "ops@example.com"]
        else:
            dom = {k: MAP_VALUES for k in MAP_KEYS}
        make_spec(s, dom, rng)
        s.path = list(rng.choice(sections))
        if family == "app":
            s.key = None  # env: the variable name is the key
        elif family == "auditd":
            s.key = f"{s.path[0]}.{s.name}" if kind != "map" else f"/{s.name}"
        else:
            s.key = "/" + "/".join(s.path + [s.name])
        out.append(s)
    # group by section (first appearance), keeping the drawn order inside a section
    order = {tuple(p): i for i, p in reversed(list(enumerate(sections)))}
    out.sort(key=lambda s: order[tuple(s.path)])
    if family == "auditd":  # ini maps are sections of their own, after the others
        out.sort(key=lambda s: s.kind == "map")
    return out


def make_settings(family: str, rng: random.Random) -> list[Setting]:
    if family in CATALOGS:
        return catalog_settings(family, rng)
    return word_settings(family, rng)


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
        if s.key is not None:
            lines.append(f"    key: {yscalar(s.key)}")
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


def is_text(s: Setting) -> bool:
    return isinstance(s.spec["value"], str) or s.spec["value"] is None


def unless_none(s: Setting, lines: list[str]) -> list[str]:
    if s.spec["value"] is None:
        return [f"{{% if {ref(s.name)} is not none %}}", *lines, "{% endif %}"]
    return lines


def scalar_line(style: str, name: str, expr: str, quoted: bool, ind: str = "") -> str:
    if style == "keyword":
        return f"{name} {expr}"
    if style == "nginx":
        return f"{ind}{name} {expr};"
    if style in ("sysctl", "ini"):
        return f"{name} = {expr}"
    if style == "pg":
        return f"{name} = '{expr}'" if quoted else f"{name} = {expr}"
    if style == "env":
        return f'{name}="{expr}"' if quoted else f"{name}={expr}"
    raise ValueError(style)


def list_block(style: str, s: Setting, ind: str = "") -> list[str]:
    r, n = ref(s.name), s.name
    if style == "keyword":
        if s.shape == "lines":
            return [f"{{% for item in {r} %}}", f"{n} {{{{ item }}}}", "{% endfor %}"]
        return [f'{n} {{{{ {r} | join("{s.shape}") }}}}']
    if style == "nginx":
        return [f'{ind}{n} {{{{ {r} | join("{s.shape}") }}}};']
    if style == "ini":
        return [f'{n} = {{{{ {r} | join(",") }}}}']
    if style == "pg":
        return [f"{n} = '{{{{ {r} | join(\",\") }}}}'"]
    if style == "env":
        return [f'{n}="{{{{ {r} | join(",") }}}}"']
    raise ValueError(style)


def map_block(style: str, s: Setting) -> list[str]:
    r, n = ref(s.name), s.name
    if style == "keyword":
        return [f"{{% for key, value in {r} | dictsort %}}", f"{n} {{{{ key }}}} {{{{ value }}}}",
                "{% endfor %}"]
    if style == "ini":
        return [f"[{n}]", f"{{% for key, value in {r} | dictsort %}}",
                "{{ key }} = {{ value }}", "{% endfor %}"]
    raise ValueError(style)


def setting_lines(style: str, s: Setting, ind: str = "") -> list[str]:
    """The lines of one setting in a text format (not maps)."""
    if s.kind == "list":
        return list_block(style, s, ind)
    if style == "nginx" and s.key and s.key.startswith("add_header "):
        header = s.key.split(" ", 1)[1]
        return unless_none(s, [f'{ind}add_header {header} "{{{{ {ref(s.name)} }}}}" always;'])
    return unless_none(s, [scalar_line(style, s.name, f"{{{{ {ref(s.name)} }}}}", is_text(s),
                                       ind)])


def header_lines(name: str, family: str, comment: str) -> list[str]:
    c = comment
    return [
        "{#- generated benchmark template for baseline " + name + " -#}",
        f"{c} {family} configuration - managed by hardline, do not edit by hand.",
        f"{c} baseline: {{{{ baseline.name }}}} {{{{ baseline.version }}}} (owner {{{{ baseline.owner }}}})",
        f"{c} environment: {{{{ environment.name }}}} ({{{{ vars.domain }}}}, {{{{ vars.region }}}})",
        "",
    ]


def flat_body(style: str, c: str, settings: list[Setting], ind: str = "") -> list[str]:
    """Settings in sections of ~8 (a comment each); flags and enums of a section through one
    loop over their names, sshd_config style (keyword, sysctl and top-level nginx files)."""
    t: list[str] = []
    loops = style in ("keyword", "sysctl") or (style == "nginx" and not ind)
    sections = [settings[i:i + 8] for i in range(0, len(settings), 8)]
    for si, sec in enumerate(sections):
        t += ["", f"{ind}{c} Section {si + 1}: {sec[0].name.split('.')[-1]}"]
        loop_group: list[str] = []
        for s in sec:
            if s.kind == "map":
                continue  # maps go at the end
            if (loops and s.kind in ("flag", "enum") and s.key is None
                    and s.spec["value"] is not None):
                loop_group.append(s.name)
            else:
                t += setting_lines(style, s, ind)
        if loop_group:
            names = ", ".join(f'"{n}"' for n in loop_group)
            t += [f"{{% for name in [{names}] %}}",
                  "{% if settings[name] is not none %}",
                  scalar_line(style, "{{ name }}", "{{ settings[name] }}", False, ind),
                  "{% endif %}", "{% endfor %}"]
    for s in settings:
        if s.kind == "map":
            t += ["", f"{ind}{c} {s.name}"] + map_block(style, s)
    return t


def nginx_template(name: str, settings: list[Setting]) -> str:
    """A conf.d file (http context): http-level directives, then a server with its own
    directives, `add_header` entries and a `location /`."""
    t = header_lines(name, "nginx", "#")
    top = [s for s in settings if s.where == ""]
    server = [s for s in settings if s.where == "server"]
    location = [s for s in settings if s.where == "location"]
    t += flat_body("nginx", "#", top)
    t += ["", "server {", "    server_name {{ environment.name }}.{{ vars.domain }};"]
    t += flat_body("nginx", "#", server, "    ")
    t += ["", "    location / {", "        try_files $uri $uri/ =404;"]
    for s in location:
        t += setting_lines("nginx", s, "        ")
    t += ["    }", "}"]
    return "\n".join(t) + "\n"


def ini_template(name: str, settings: list[Setting]) -> str:
    t = header_lines(name, "auditd", ";")
    section = None
    for s in settings:
        if s.kind == "map":
            t += [""] + map_block("ini", s)
            continue
        if s.path[0] != section:
            section = s.path[0]
            t += ["", f"[{section}]"]
        t += setting_lines("ini", s)
    return "\n".join(t) + "\n"


class Tree:
    """Settings of a structured file by section path, in first-appearance order."""

    def __init__(self):
        self.settings: list[Setting] = []
        self.children: dict[str, Tree] = {}

    @staticmethod
    def of(settings: list[Setting]) -> Tree:
        root = Tree()
        for s in settings:
            node = root
            for part in s.path:
                node = node.children.setdefault(part, Tree())
            node.settings.append(s)
        return root


def yaml_lines(node: Tree, ind: str) -> list[str]:
    t: list[str] = []
    for s in node.settings:
        r, n = ref(s.name), s.name
        if s.kind == "list":
            t += [f"{ind}{n}:", f"{{% for item in {r} %}}", f'{ind}  - "{{{{ item }}}}"',
                  "{% endfor %}"]
        elif s.kind == "map":
            t += [f"{ind}{n}:", f"{{% for key, value in {r} | dictsort %}}",
                  f'{ind}  "{{{{ key }}}}": "{{{{ value }}}}"', "{% endfor %}"]
        elif is_text(s):
            t += unless_none(s, [f'{ind}{n}: "{{{{ {r} }}}}"'])
        else:
            t.append(f"{ind}{n}: {{{{ {r} | tojson }}}}")
    for part, child in node.children.items():
        t += [f"{ind}{part}:"] + yaml_lines(child, ind + "  ")
    return t


def yaml_template(name: str, settings: list[Setting]) -> str:
    t = header_lines(name, "kubelet", "#")
    t += ["apiVersion: kubelet.config.k8s.io/v1beta1", "kind: KubeletConfiguration"]
    t += yaml_lines(Tree.of(settings), "")
    return "\n".join(t) + "\n"


def json_entries(node: Tree, ind: str) -> list[list[str]]:
    entries: list[list[str]] = []
    for s in node.settings:
        r, n = ref(s.name), s.name
        if s.kind == "list":
            entries.append([f'{ind}"{n}": [{{% for item in {r} %}}"{{{{ item }}}}"'
                            f'{{% if not loop.last %}}, {{% endif %}}{{% endfor %}}]'])
        elif s.kind == "map":
            entries.append([f'{ind}"{n}": {{', f"{{% for key, value in {r} | dictsort %}}",
                            f'{ind}  "{{{{ key }}}}": "{{{{ value }}}}"{{{{ "," if not loop.last else "" }}}}',
                            "{% endfor %}", f"{ind}}}"])
        elif s.spec["value"] is None:
            entries.append([f'{ind}"{n}": {{% if {r} is none %}}null{{% else %}}"{{{{ {r} }}}}"{{% endif %}}'])
        elif is_text(s):
            entries.append([f'{ind}"{n}": "{{{{ {r} }}}}"'])
        else:
            entries.append([f'{ind}"{n}": {{{{ {r} | tojson }}}}'])
    for part, child in node.children.items():
        entries.append([f'{ind}"{part}": {{'] + join_entries(json_entries(child, ind + "  "))
                       + [f"{ind}}}"])
    return entries


def join_entries(entries: list[list[str]]) -> list[str]:
    out: list[str] = []
    for i, e in enumerate(entries):
        if i < len(entries) - 1:
            e = e[:-1] + [e[-1] + ","]
        out += e
    return out


def json_template(name: str, settings: list[Setting]) -> str:
    t = ["{#- generated benchmark template for baseline " + name + " (daemon.json style) -#}",
         "{",
         '  "//": "managed by hardline for {{ environment.name }} ({{ vars.domain }})",',
         '  "baseline": "{{ baseline.name }}-{{ baseline.version }}",']
    t += join_entries(json_entries(Tree.of(settings), "  "))
    t.append("}")
    return "\n".join(t) + "\n"


def toml_key(part: str) -> str:
    return part if all(c.isalnum() or c in "_-" for c in part) else json.dumps(part)


def toml_lines(node: Tree, path: list[str]) -> list[str]:
    t: list[str] = []
    scalars = [s for s in node.settings if s.kind != "map"]
    if path and scalars:
        t += ["", "[" + ".".join(toml_key(p) for p in path) + "]"]
    for s in scalars:
        r, n = ref(s.name), s.name
        if s.kind == "list":
            t.append(f'{n} = [{{% for item in {r} %}}"{{{{ item }}}}"'
                     f'{{% if not loop.last %}}, {{% endif %}}{{% endfor %}}]')
        elif is_text(s):
            t += unless_none(s, [f'{n} = "{{{{ {r} }}}}"'])
        else:
            t.append(f"{n} = {{{{ {r} | tojson }}}}")
    for s in node.settings:
        if s.kind == "map":
            t += ["", "[" + ".".join(toml_key(p) for p in path + [s.name]) + "]",
                  f"{{% for key, value in {ref(s.name)} | dictsort %}}",
                  '"{{ key }}" = "{{ value }}"', "{% endfor %}"]
    for part, child in node.children.items():
        t += toml_lines(child, path + [part])
    return t


def toml_template(name: str, settings: list[Setting]) -> str:
    t = header_lines(name, "containerd", "#") + ["version = 2"]
    t += toml_lines(Tree.of(settings), [])
    return "\n".join(t) + "\n"


def template_text(name: str, family: str, fmt: str, comment: str | None,
                  settings: list[Setting]) -> str:
    if fmt == "json":
        return json_template(name, settings)
    if fmt == "yaml":
        return yaml_template(name, settings)
    if fmt == "toml":
        return toml_template(name, settings)
    if fmt == "ini":
        return ini_template(name, settings)
    if fmt == "nginx":
        return nginx_template(name, settings)
    style = {"sshd": "keyword", "sysctl": "sysctl", "postgresql": "pg", "env": "env"}[fmt]
    c = comment or "#"
    return "\n".join(header_lines(name, family, c) + flat_body(style, c, settings)) + "\n"


# ---------------------------------------------------------------------------
# Environments
# ---------------------------------------------------------------------------

def overlay_value(s: Setting, rng: random.Random):
    sp = s.spec
    if s.kind == "int":
        return rng.randint(sp["min"], sp["max"])
    if s.kind in ("flag", "enum"):
        return rng.choice(sp["oneOf"])
    if s.kind == "list":
        allowed = sp["subsetOf"]
        k = rng.randint(1, len(allowed))
        picked = set(rng.sample(range(len(allowed)), k))
        return [x for i, x in enumerate(allowed) if i in picked]
    if s.kind == "pattern":
        return s.gen(rng)
    if s.kind == "string":
        return rng.choice(s.choices)
    if s.kind == "map":
        key = rng.choice(sorted(sp["value"]))
        return {key: rng.choice(s.map_values[key])}
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
                 and not (s.kind == "flag" and len(s.spec.get("oneOf", [])) < 2)]
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
        family, fmt, target_t, comment = FAMILIES[i % len(FAMILIES)]
        name = f"{family}-{i:02d}"
        settings = make_settings(family, rng)
        # Plain `<name>.j2`: minijinja picks auto-escaping from the extension before `.j2`
        # (`x.json.j2`/`x.yaml.j2` get JSON escaping when its `json` feature is on), and the
        # templates here quote values themselves, so keep the output independent of that.
        template = f"{name}.j2"
        text = template_text(name, family, fmt, comment, settings)
        template_lines.append(text.count("\n"))
        (out / "templates" / template).write_text(text)
        (out / "baselines" / f"{name}.yaml").write_text(
            baseline_yaml(name, family, fmt, target_t.format(name=name), template, settings, rng))
        baselines.append((name, settings))
    for e in range(args.envs):
        name = f"env-{e:03d}"
        (out / "environments" / f"{name}.yaml").write_text(env_yaml(name, baselines, rng))
    nsettings = sum(len(s) for _, s in baselines)
    print(f"generate.py: wrote {args.baselines} baselines ({nsettings} settings, templates "
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
    # Clean means no finding at all (not only none at the fail threshold): conformance
    # checks every setting of every rendered file.
    r = run([str(hardline), "-C", str(out), "--color", "never", "--format", "json",
             "--fail-on", "info", "check"], stdout=subprocess.PIPE, text=True)
    findings = json.loads(r.stdout).get("findings", []) if r.stdout.strip() else []
    if r.returncode != 0 or findings:
        print(f"generate.py: `hardline check` exited {r.returncode} with {len(findings)} "
              "findings on the generated repo, e.g.:", file=sys.stderr)
        for f in findings[:10]:
            print(f"  {f.get('rule')}: {f.get('message')}", file=sys.stderr)
        return 2
    if nfiles != expected:
        print(f"generate.py: expected {expected} rendered files, found {nfiles}", file=sys.stderr)
        return 2
    print(f"generate.py: {nfiles} files in {out / 'deploy'}, copy in {peer}; check is clean "
          f"(0 findings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
