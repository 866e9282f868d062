//! `sshd` format: OpenSSH's `sshd_config(5)` as the daemon itself reads it.
//!
//! This module owns the sshd syntax and semantics: case-insensitive keywords (and their
//! aliases, e.g. `ChallengeResponseAuthentication` is `KbdInteractiveAuthentication`),
//! `Keyword value` / `Keyword=value`, quoted arguments and `#` comments with sshd's own
//! tokeniser; the FIRST value of a keyword wins (except `MaxStartups`, `PerSourceMaxStartups`,
//! `PerSourceNetBlockSize`, `IPQoS` and `StreamLocalBindMask`, which sshd overwrites), while `Port`, `ListenAddress`, `HostKey`,
//! `HostCertificate`, `AcceptEnv`, `Allow/DenyUsers`, `Allow/DenyGroups` and `Subsystem`
//! (per name) accumulate; `Include` with glob patterns (relative to `/etc/ssh`, absolute ones
//! under the input's sysroot, sorted, dot-files skipped like glob(3)), scoped to the `Match`
//! block it appears in; `Match` blocks as narrower scopes (a `Match` inside an included file
//! ends with that file); algorithm lists with `+`, `-` and `^` resolved against the
//! compiled-in defaults. What sshd would refuse to start with (unknown keywords, a global-only
//! keyword inside `Match`, bad `Match` conditions, unsupported algorithms, a duplicate
//! subsystem, include loops) is a [`Problem`].
//!
//! The keyword table, the defaults and the supported-algorithm lists were taken from the
//! installed daemon, [`OPENSSH`]: `sshd -T -f /dev/null`, `ssh -Q cipher|mac|kex|key-sig|sig`,
//! and `sshd -t` run on every keyword (inside and outside a `Match` block, with one extra
//! argument) — see `tests/cli/conform_sshd.rs`, which keeps them honest against that daemon.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::{Format, Found, Input, MAX_INCLUDED_FILES, Observed, Parsed, Problem, Reader, Site};

/// The daemon the tables of this module come from.
pub const OPENSSH: &str = "OpenSSH 9.2p1 (Debian 12, openssh-server 1:9.2p1-2+deb12u10)";

/// sshd's `SERVCONF_MAX_DEPTH`: includes nested deeper make it refuse to start.
const MAX_INCLUDE_DEPTH: usize = 16;
/// Most files parsed for one checked file, counting a file included twice twice.
const MAX_PARSES: usize = 4 * MAX_INCLUDED_FILES;

/// The sshd format.
pub struct Sshd;

// Keyword flags.
/// Allowed in the global section only.
const GLOBAL: u16 = 0;
/// Allowed inside a `Match` block.
const MATCH: u16 = 1;
/// Takes exactly one argument.
const ONE: u16 = 1 << 1;
/// Every argument of every line accumulates.
const ACCUMULATE: u16 = 1 << 2;
/// The first argument of every line accumulates (one value per line).
const ACCUMULATE_FIRST: u16 = 1 << 3;
/// An algorithm list (`+`, `-`, `^` against the defaults).
const ALGORITHMS: u16 = 1 << 4;
/// `Subsystem name command…`: one command per name.
const SUBSYSTEM: u16 = 1 << 5;
/// The raw rest of the line is the value (quotes and `#` included).
const RAW: u16 = 1 << 6;
/// Deprecated, unsupported or ignored: accepted, without effect.
const OBSOLETE: u16 = 1 << 7;
/// `Match` and `Include`.
const STRUCTURE: u16 = 1 << 8;
/// The LAST value wins (sshd overwrites it on every line); `MaxStartups` merges its fields.
const LAST: u16 = 1 << 9;

/// Every keyword OpenSSH 9.2p1 (Debian) accepts: spelling, canonical lower-case keyword
/// (aliases share their target's value: the first of either wins), flags.
const KEYWORDS: &[(&str, &str, u16)] = &[
    ("AcceptEnv", "acceptenv", MATCH | ACCUMULATE),
    ("AddressFamily", "addressfamily", ONE),
    ("AFSTokenPassing", "afstokenpassing", OBSOLETE),
    ("AllowAgentForwarding", "allowagentforwarding", MATCH | ONE),
    ("AllowGroups", "allowgroups", MATCH | ACCUMULATE),
    (
        "AllowStreamLocalForwarding",
        "allowstreamlocalforwarding",
        MATCH | ONE,
    ),
    ("AllowTcpForwarding", "allowtcpforwarding", MATCH | ONE),
    ("AllowUsers", "allowusers", MATCH | ACCUMULATE),
    ("AuthenticationMethods", "authenticationmethods", MATCH),
    (
        "AuthorizedKeysCommand",
        "authorizedkeyscommand",
        MATCH | RAW,
    ),
    (
        "AuthorizedKeysCommandUser",
        "authorizedkeyscommanduser",
        MATCH | ONE,
    ),
    ("AuthorizedKeysFile", "authorizedkeysfile", MATCH),
    (
        "AuthorizedKeysFile2",
        "authorizedkeysfile2",
        MATCH | OBSOLETE,
    ),
    (
        "AuthorizedPrincipalsCommand",
        "authorizedprincipalscommand",
        MATCH | RAW,
    ),
    (
        "AuthorizedPrincipalsCommandUser",
        "authorizedprincipalscommanduser",
        MATCH | ONE,
    ),
    (
        "AuthorizedPrincipalsFile",
        "authorizedprincipalsfile",
        MATCH | ONE,
    ),
    ("Banner", "banner", MATCH | ONE),
    (
        "CASignatureAlgorithms",
        "casignaturealgorithms",
        MATCH | ONE | ALGORITHMS,
    ),
    (
        "ChallengeResponseAuthentication",
        "kbdinteractiveauthentication",
        MATCH | ONE,
    ),
    ("ChannelTimeout", "channeltimeout", MATCH),
    ("CheckMail", "checkmail", OBSOLETE),
    ("ChrootDirectory", "chrootdirectory", MATCH | ONE),
    ("Ciphers", "ciphers", ONE | ALGORITHMS),
    ("ClientAliveCountMax", "clientalivecountmax", MATCH | ONE),
    ("ClientAliveInterval", "clientaliveinterval", MATCH | ONE),
    ("Compression", "compression", ONE),
    ("DebianBanner", "debianbanner", ONE),
    ("DenyGroups", "denygroups", MATCH | ACCUMULATE),
    ("DenyUsers", "denyusers", MATCH | ACCUMULATE),
    ("DisableForwarding", "disableforwarding", MATCH | ONE),
    ("DSAAuthentication", "pubkeyauthentication", ONE),
    ("ExposeAuthInfo", "exposeauthinfo", MATCH | ONE),
    ("FingerprintHash", "fingerprinthash", ONE),
    ("ForceCommand", "forcecommand", MATCH | RAW),
    ("GatewayPorts", "gatewayports", MATCH | ONE),
    ("GSSAPIAuthentication", "gssapiauthentication", MATCH | ONE),
    ("GSSAPICleanupCredentials", "gssapicleanupcredentials", ONE),
    ("GSSAPICleanupCreds", "gssapicleanupcredentials", ONE),
    ("GSSAPIKexAlgorithms", "gssapikexalgorithms", ONE),
    ("GSSAPIKeyExchange", "gssapikeyexchange", ONE),
    (
        "GSSAPIStoreCredentialsOnRekey",
        "gssapistorecredentialsonrekey",
        ONE,
    ),
    (
        "GSSAPIStrictAcceptorCheck",
        "gssapistrictacceptorcheck",
        ONE,
    ),
    (
        "GSSAPIUseSessionCredCache",
        "gssapiusesessioncredcache",
        OBSOLETE,
    ),
    ("GSSUseSessionCCache", "gssusesessionccache", OBSOLETE),
    (
        "HostbasedAcceptedAlgorithms",
        "hostbasedacceptedalgorithms",
        MATCH | ONE | ALGORITHMS,
    ),
    (
        "HostbasedAcceptedKeyTypes",
        "hostbasedacceptedalgorithms",
        MATCH | ONE | ALGORITHMS,
    ),
    (
        "HostbasedAuthentication",
        "hostbasedauthentication",
        MATCH | ONE,
    ),
    (
        "HostbasedUsesNameFromPacketOnly",
        "hostbasedusesnamefrompacketonly",
        MATCH | ONE,
    ),
    ("HostCertificate", "hostcertificate", ONE | ACCUMULATE_FIRST),
    ("HostDSAKey", "hostkey", ONE | ACCUMULATE_FIRST),
    ("HostKey", "hostkey", ONE | ACCUMULATE_FIRST),
    ("HostKeyAgent", "hostkeyagent", ONE),
    ("HostKeyAlgorithms", "hostkeyalgorithms", ONE | ALGORITHMS),
    ("IgnoreRhosts", "ignorerhosts", MATCH | ONE),
    ("IgnoreUserKnownHosts", "ignoreuserknownhosts", ONE),
    ("Include", "include", MATCH | STRUCTURE),
    ("IPQoS", "ipqos", MATCH | LAST),
    (
        "KbdInteractiveAuthentication",
        "kbdinteractiveauthentication",
        MATCH | ONE,
    ),
    ("KeepAlive", "tcpkeepalive", ONE),
    (
        "KerberosAuthentication",
        "kerberosauthentication",
        MATCH | ONE,
    ),
    ("KerberosGetAFSToken", "kerberosgetafstoken", OBSOLETE),
    ("KerberosOrLocalPasswd", "kerberosorlocalpasswd", ONE),
    ("KerberosTgtPassing", "kerberostgtpassing", OBSOLETE),
    ("KerberosTicketCleanup", "kerberosticketcleanup", ONE),
    ("KexAlgorithms", "kexalgorithms", ONE | ALGORITHMS),
    (
        "KeyRegenerationInterval",
        "keyregenerationinterval",
        OBSOLETE,
    ),
    ("ListenAddress", "listenaddress", ACCUMULATE_FIRST),
    ("LoginGraceTime", "logingracetime", ONE),
    ("LogLevel", "loglevel", MATCH | ONE),
    ("LogVerbose", "logverbose", MATCH),
    ("MACs", "macs", ONE | ALGORITHMS),
    ("Match", "match", MATCH | STRUCTURE),
    ("MaxAuthTries", "maxauthtries", MATCH | ONE),
    ("MaxSessions", "maxsessions", MATCH | ONE),
    ("MaxStartups", "maxstartups", ONE | LAST),
    ("ModuliFile", "modulifile", ONE),
    (
        "PAMAuthenticationViaKbdInt",
        "pamauthenticationviakbdint",
        OBSOLETE,
    ),
    (
        "PasswordAuthentication",
        "passwordauthentication",
        MATCH | ONE,
    ),
    ("PermitBlacklistedKeys", "permitblacklistedkeys", OBSOLETE),
    ("PermitEmptyPasswords", "permitemptypasswords", MATCH | ONE),
    ("PermitListen", "permitlisten", MATCH),
    ("PermitOpen", "permitopen", MATCH),
    ("PermitRootLogin", "permitrootlogin", MATCH | ONE),
    ("PermitTTY", "permittty", MATCH | ONE),
    ("PermitTunnel", "permittunnel", MATCH | ONE),
    ("PermitUserEnvironment", "permituserenvironment", ONE),
    ("PermitUserRC", "permituserrc", MATCH | ONE),
    ("PerSourceMaxStartups", "persourcemaxstartups", ONE | LAST),
    ("PerSourceNetBlockSize", "persourcenetblocksize", ONE | LAST),
    ("PidFile", "pidfile", ONE),
    ("Port", "port", ONE | ACCUMULATE_FIRST),
    ("PrintLastLog", "printlastlog", ONE),
    ("PrintMotd", "printmotd", ONE),
    ("Protocol", "protocol", OBSOLETE),
    (
        "PubkeyAcceptedAlgorithms",
        "pubkeyacceptedalgorithms",
        MATCH | ONE | ALGORITHMS,
    ),
    (
        "PubkeyAcceptedKeyTypes",
        "pubkeyacceptedalgorithms",
        MATCH | ONE | ALGORITHMS,
    ),
    ("PubkeyAuthentication", "pubkeyauthentication", MATCH | ONE),
    ("PubkeyAuthOptions", "pubkeyauthoptions", MATCH),
    ("RDomain", "rdomain", MATCH),
    ("RekeyLimit", "rekeylimit", MATCH),
    ("RequiredRSASize", "requiredrsasize", MATCH | ONE),
    ("ReverseMappingCheck", "reversemappingcheck", OBSOLETE),
    ("RevokedKeys", "revokedkeys", MATCH | ONE),
    ("RhostsAuthentication", "rhostsauthentication", OBSOLETE),
    (
        "RhostsRSAAuthentication",
        "rhostsrsaauthentication",
        MATCH | OBSOLETE,
    ),
    ("RSAAuthentication", "rsaauthentication", MATCH | OBSOLETE),
    ("SecurityKeyProvider", "securitykeyprovider", ONE),
    ("ServerKeyBits", "serverkeybits", OBSOLETE),
    ("SetEnv", "setenv", MATCH),
    (
        "SkeyAuthentication",
        "kbdinteractiveauthentication",
        MATCH | ONE,
    ),
    (
        "StreamLocalBindMask",
        "streamlocalbindmask",
        MATCH | ONE | LAST,
    ),
    (
        "StreamLocalBindUnlink",
        "streamlocalbindunlink",
        MATCH | ONE,
    ),
    ("StrictModes", "strictmodes", ONE),
    ("Subsystem", "subsystem", SUBSYSTEM),
    ("SyslogFacility", "syslogfacility", ONE),
    ("TCPKeepAlive", "tcpkeepalive", ONE),
    ("TrustedUserCAKeys", "trustedusercakeys", MATCH | ONE),
    (
        "UnusedConnectionTimeout",
        "unusedconnectiontimeout",
        MATCH | ONE,
    ),
    ("UseDNS", "usedns", ONE),
    ("UseLogin", "uselogin", OBSOLETE),
    ("UsePAM", "usepam", ONE),
    ("UsePrivilegeSeparation", "useprivilegeseparation", OBSOLETE),
    ("VerifyReverseMapping", "verifyreversemapping", OBSOLETE),
    ("VersionAddendum", "versionaddendum", RAW),
    ("X11DisplayOffset", "x11displayoffset", MATCH | ONE),
    ("X11Forwarding", "x11forwarding", MATCH | ONE),
    ("X11UseLocalhost", "x11uselocalhost", MATCH | ONE),
    ("XAuthLocation", "xauthlocation", ONE),
];

/// An algorithm list keyword: defaults and what the build supports, in sshd's order.
struct Algorithms {
    keyword: &'static str,
    defaults: &'static [&'static str],
    supported: &'static [&'static str],
    /// Whether explicit lists may use `*`/`?` patterns (key algorithms) or must name
    /// algorithms exactly (ciphers, MACs, key exchange).
    patterns: bool,
}

/// `sshd -T -f /dev/null` of [`OPENSSH`]: `ciphers`.
pub const DEFAULT_CIPHERS: &[&str] = &[
    "chacha20-poly1305@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
];
/// `sshd -T -f /dev/null` of [`OPENSSH`]: `macs`.
pub const DEFAULT_MACS: &[&str] = &[
    "umac-64-etm@openssh.com",
    "umac-128-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "umac-64@openssh.com",
    "umac-128@openssh.com",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha1",
];
/// `sshd -T -f /dev/null` of [`OPENSSH`]: `kexalgorithms` (Debian adds the
/// `sntrup761x25519-sha512` alias).
pub const DEFAULT_KEX: &[&str] = &[
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group14-sha256",
];
/// `sshd -T -f /dev/null` of [`OPENSSH`]: `hostkeyalgorithms`, `pubkeyacceptedalgorithms`
/// and `hostbasedacceptedalgorithms`.
pub const DEFAULT_KEY_ALGORITHMS: &[&str] = &[
    "ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "rsa-sha2-512-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-256",
];
/// `sshd -T -f /dev/null` of [`OPENSSH`]: `casignaturealgorithms`.
pub const DEFAULT_CA_SIGNATURES: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-256",
];
/// `ssh -Q cipher` of [`OPENSSH`].
const SUPPORTED_CIPHERS: &[&str] = &[
    "3des-cbc",
    "aes128-cbc",
    "aes192-cbc",
    "aes256-cbc",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
];
/// `ssh -Q mac` of [`OPENSSH`].
const SUPPORTED_MACS: &[&str] = &[
    "hmac-sha1",
    "hmac-sha1-96",
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-md5",
    "hmac-md5-96",
    "umac-64@openssh.com",
    "umac-128@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "hmac-sha1-96-etm@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-md5-etm@openssh.com",
    "hmac-md5-96-etm@openssh.com",
    "umac-64-etm@openssh.com",
    "umac-128-etm@openssh.com",
];
/// `ssh -Q kex` of [`OPENSSH`].
const SUPPORTED_KEX: &[&str] = &[
    "diffie-hellman-group1-sha1",
    "diffie-hellman-group14-sha1",
    "diffie-hellman-group14-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group18-sha512",
    "diffie-hellman-group-exchange-sha1",
    "diffie-hellman-group-exchange-sha256",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "sntrup761x25519-sha512",
    "sntrup761x25519-sha512@openssh.com",
];
/// `ssh -Q key-sig` of [`OPENSSH`].
const SUPPORTED_KEY_ALGORITHMS: &[&str] = &[
    "ssh-ed25519",
    "ssh-ed25519-cert-v01@openssh.com",
    "sk-ssh-ed25519@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
    "ssh-dss-cert-v01@openssh.com",
    "ssh-rsa",
    "ssh-rsa-cert-v01@openssh.com",
    "rsa-sha2-256",
    "rsa-sha2-256-cert-v01@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-512-cert-v01@openssh.com",
];
/// `ssh -Q sig` of [`OPENSSH`].
const SUPPORTED_SIGNATURES: &[&str] = &[
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-dss",
    "ssh-rsa",
    "rsa-sha2-256",
    "rsa-sha2-512",
];

const ALGORITHM_LISTS: &[Algorithms] = &[
    Algorithms {
        keyword: "ciphers",
        defaults: DEFAULT_CIPHERS,
        supported: SUPPORTED_CIPHERS,
        patterns: false,
    },
    Algorithms {
        keyword: "macs",
        defaults: DEFAULT_MACS,
        supported: SUPPORTED_MACS,
        patterns: false,
    },
    Algorithms {
        keyword: "kexalgorithms",
        defaults: DEFAULT_KEX,
        supported: SUPPORTED_KEX,
        patterns: false,
    },
    Algorithms {
        keyword: "hostkeyalgorithms",
        defaults: DEFAULT_KEY_ALGORITHMS,
        supported: SUPPORTED_KEY_ALGORITHMS,
        patterns: true,
    },
    Algorithms {
        keyword: "pubkeyacceptedalgorithms",
        defaults: DEFAULT_KEY_ALGORITHMS,
        supported: SUPPORTED_KEY_ALGORITHMS,
        patterns: true,
    },
    Algorithms {
        keyword: "hostbasedacceptedalgorithms",
        defaults: DEFAULT_KEY_ALGORITHMS,
        supported: SUPPORTED_KEY_ALGORITHMS,
        patterns: true,
    },
    Algorithms {
        keyword: "casignaturealgorithms",
        defaults: DEFAULT_CA_SIGNATURES,
        supported: SUPPORTED_SIGNATURES,
        patterns: true,
    },
];

/// A keyword of [`KEYWORDS`].
#[derive(Clone, Copy)]
struct Keyword {
    /// Canonical spelling (of the alias target).
    display: &'static str,
    /// Canonical lower-case keyword.
    canonical: &'static str,
    flags: u16,
}

impl Keyword {
    fn has(self, flag: u16) -> bool {
        self.flags & flag != 0
    }
}

/// The keyword `name` (any case, aliases resolved).
fn keyword(name: &str) -> Option<Keyword> {
    /// [`scan_keyword`] of every spelling, by lower-case spelling.
    static TABLE: OnceLock<HashMap<String, Keyword>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        for (spelling, _, _) in KEYWORDS {
            if let Some(k) = scan_keyword(spelling) {
                table.entry(spelling.to_ascii_lowercase()).or_insert(k);
            }
        }
        table
    });
    // ASCII case-insensitive equality is equality of the ASCII-lower-cased strings.
    let mut buffer = [0u8; 64];
    match buffer.get_mut(..name.len()) {
        Some(lower) => {
            lower.copy_from_slice(name.as_bytes());
            lower.make_ascii_lowercase();
            std::str::from_utf8(lower)
                .ok()
                .and_then(|lower| table.get(lower).copied())
        }
        None => scan_keyword(name),
    }
}

/// [`keyword`] by scanning [`KEYWORDS`]: the first spelling equal to `name` in any case.
fn scan_keyword(name: &str) -> Option<Keyword> {
    let (_, canonical, flags) = *KEYWORDS
        .iter()
        .find(|(spelling, _, _)| spelling.eq_ignore_ascii_case(name))?;
    let display = KEYWORDS
        .iter()
        .find(|(spelling, _, _)| spelling.eq_ignore_ascii_case(canonical))
        .map_or(canonical, |(spelling, _, _)| spelling);
    Some(Keyword {
        display,
        canonical,
        flags,
    })
}

fn algorithms(canonical: &str) -> Option<&'static Algorithms> {
    ALGORITHM_LISTS.iter().find(|a| a.keyword == canonical)
}

/// One directive in force somewhere.
struct Directive {
    /// Canonical lower-case keyword.
    keyword: &'static str,
    args: Vec<String>,
    /// The rest of the line after the keyword, for [`RAW`] keywords.
    raw: String,
    site: Site,
    /// Index into [`Data::blocks`].
    block: usize,
}

/// The global section (index 0) or a `Match` block.
struct Block {
    /// `Match User deploy`; empty for the global section.
    scope: String,
    /// Whether its directives are read as global ones when sshd loads the file: the global
    /// section and a top-level `Match all`.
    global: bool,
}

/// Every directive with its block.
struct Data {
    directives: Vec<Directive>,
    blocks: Vec<Block>,
}

/// A token of a line: unquoted text and its byte range in the line.
#[derive(Debug)]
struct Token {
    text: String,
    start: usize,
    end: usize,
}

/// A lexed line.
#[derive(Debug)]
enum Lexed {
    /// Blank or comment.
    Blank,
    /// sshd cannot read the line.
    Bad {
        message: String,
        start: usize,
        end: usize,
    },
    /// `Keyword args…`.
    Line {
        keyword: Token,
        args: Vec<Token>,
        /// Where the arguments start.
        rest: usize,
    },
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Splits a line (trailing whitespace already removed) the way sshd does: the keyword ends
/// at whitespace or `=` (`strdelim`), the arguments follow `argv_split` (quotes, `\`
/// escapes, `#` starting a token ends the line).
fn lex(line: &str) -> Lexed {
    let b = line.as_bytes();
    let skip = |mut i: usize| {
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        i
    };
    let mut i = skip(0);
    if i == b.len() || b[i] == b'#' {
        return Lexed::Blank;
    }
    let start = i;
    let keyword;
    if b[i] == b'"' {
        let Some(close) = line[i + 1..].find('"') else {
            return Lexed::Bad {
                message: "unbalanced quote in the keyword; sshd skips this line".to_owned(),
                start,
                end: line.len(),
            };
        };
        keyword = Token {
            text: line[i + 1..i + 1 + close].to_owned(),
            start,
            end: i + 2 + close,
        };
        i = skip(i + 2 + close);
    } else {
        while i < b.len() && !is_space(b[i]) && b[i] != b'=' && b[i] != b'"' {
            i += 1;
        }
        keyword = Token {
            text: line[start..i].to_owned(),
            start,
            end: i,
        };
        if i < b.len() {
            let delimiter = b[i];
            i = skip(i + 1);
            if delimiter != b'=' && i < b.len() && b[i] == b'=' {
                i = skip(i + 1);
            }
        }
    }
    if keyword.text.is_empty() {
        return Lexed::Blank;
    }
    let rest = i;
    let mut args = Vec::new();
    while i < b.len() {
        if b[i] == b' ' || b[i] == b'\t' {
            i += 1;
            continue;
        }
        if b[i] == b'#' {
            break;
        }
        let token_start = i;
        let mut quote = 0u8;
        let mut text = Vec::new();
        while i < b.len() {
            let c = b[i];
            if c == b'\\' {
                let next = b.get(i + 1).copied();
                if matches!(next, Some(b'\'' | b'"' | b'\\')) || (quote == 0 && next == Some(b' '))
                {
                    i += 1;
                    text.push(b[i]);
                } else {
                    text.push(c);
                }
            } else if quote == 0 && (c == b' ' || c == b'\t') {
                break;
            } else if quote == 0 && (c == b'"' || c == b'\'') {
                quote = c;
            } else if quote != 0 && c == quote {
                quote = 0;
            } else {
                text.push(c);
            }
            i += 1;
        }
        if quote != 0 {
            return Lexed::Bad {
                message: format!("`{}` has unbalanced quotes", keyword.text),
                start,
                end: line.len(),
            };
        }
        args.push(Token {
            text: String::from_utf8_lossy(&text).into_owned(),
            start: token_start,
            end: i,
        });
    }
    Lexed::Line {
        keyword,
        args,
        rest,
    }
}

/// OpenSSH's `match_pattern`: `*` and `?` wildcards, case-sensitive.
fn wildcard(text: &str, pattern: &str) -> bool {
    let (t, p) = (text.as_bytes(), pattern.as_bytes());
    let (mut ti, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// OpenSSH's `match_pattern_list`: 1 when a positive pattern matches, -1 when a negated
/// (`!`) one does, 0 otherwise.
fn pattern_list(name: &str, list: &str) -> i8 {
    let mut positive = 0;
    for pattern in list.split(',') {
        if let Some(negated) = pattern.strip_prefix('!') {
            if wildcard(name, negated) {
                return -1;
            }
        } else if wildcard(name, pattern) {
            positive = 1;
        }
    }
    positive
}

/// `kex_names_cat`: `a`, then the names of `b` not already in it.
fn names_cat(mut a: Vec<String>, b: impl IntoIterator<Item = String>) -> Vec<String> {
    for name in b {
        if !name.is_empty() && !a.contains(&name) {
            a.push(name);
        }
    }
    a
}

/// The algorithm list `spec` stands for (`kex_assemble_names`): `+` appends to the
/// defaults, `-` removes matching names from them, `^` puts names first, anything else
/// replaces them; wildcards expand against the supported algorithms, duplicates go.
fn resolve(list: &Algorithms, spec: &str) -> Vec<String> {
    let owned = |names: &[&str]| names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let split = |s: &str| s.split(',').map(str::to_owned).collect::<Vec<_>>();
    let names = match spec.as_bytes().first() {
        Some(b'-') => {
            return list
                .defaults
                .iter()
                .filter(|name| pattern_list(name, &spec[1..]) != 1)
                .map(|s| (*s).to_owned())
                .collect();
        }
        Some(b'+') => names_cat(owned(list.defaults), split(&spec[1..])),
        Some(b'^') => names_cat(split(&spec[1..]), owned(list.defaults)),
        _ => split(spec),
    };
    let mut out = Vec::new();
    for pattern in names {
        if pattern.starts_with('!') {
            continue;
        }
        let matching = list
            .supported
            .iter()
            .filter(|a| wildcard(a, &pattern))
            .map(|s| (*s).to_owned());
        out = names_cat(out, matching);
    }
    out
}

/// Names of `spec` that sshd rejects (`Bad SSH2 cipher spec`, `Bad key types`).
fn unsupported(list: &Algorithms, spec: &str) -> Vec<String> {
    let body = match spec.as_bytes().first() {
        Some(b'-') => return Vec::new(),
        Some(b'+' | b'^') => &spec[1..],
        _ => spec,
    };
    body.split(',')
        .take_while(|name| !name.is_empty())
        .filter(|name| {
            if list.patterns && name.contains(['*', '?']) {
                name.starts_with('!') || !list.supported.iter().any(|a| wildcard(a, name))
            } else {
                !list.supported.contains(name)
            }
        })
        .map(str::to_owned)
        .collect()
}

/// `Match` criteria sshd 9.2 knows.
const MATCH_CRITERIA: &[&str] = &[
    "user",
    "group",
    "host",
    "localaddress",
    "localport",
    "address",
    "rdomain",
];

/// The scope label of a `Match` line (`Match User deploy`) and whether it is `Match all`,
/// or why sshd rejects it.
fn match_label(args: &[Token]) -> (String, bool, Option<String>) {
    let words: Vec<&str> = args
        .iter()
        .flat_map(|a| a.text.splitn(2, '='))
        .filter(|w| !w.is_empty())
        .collect();
    let label = format!("Match {}", words.join(" "));
    let mut problem = None;
    let mut all = false;
    let mut i = 0;
    while i < words.len() {
        let attribute = words[i];
        if attribute.eq_ignore_ascii_case("all") {
            all = true;
            if words.len() != 1 {
                problem = Some("`all` cannot be combined with other `Match` criteria".to_owned());
            }
            i += 1;
        } else if MATCH_CRITERIA
            .iter()
            .any(|c| c.eq_ignore_ascii_case(attribute))
        {
            if i + 1 >= words.len() {
                problem = Some(format!("`Match {attribute}` has no criteria"));
            }
            i += 2;
        } else {
            problem = Some(format!("unsupported `Match` attribute `{attribute}`"));
            i += 1;
        }
        if problem.is_some() {
            break;
        }
    }
    (label, all && problem.is_none(), problem)
}

/// Repo-relative path an `Include` argument names: relative to `/etc/ssh`, absolute ones
/// under `sysroot`; `.` and `..` resolved lexically (`/..` is `/`).
fn include_path(sysroot: &str, arg: &str) -> Result<String, String> {
    if arg.starts_with('~') {
        return Err(format!(
            "`Include {arg}`: sshd does not expand `~`, so the path depends on its working directory"
        ));
    }
    let absolute = if arg.starts_with('/') {
        arg.to_owned()
    } else {
        format!("/etc/ssh/{arg}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for segment in absolute.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    if parts.is_empty() {
        return Err(format!("`Include {arg}` names the root directory"));
    }
    let root = sysroot.trim_matches('/');
    Ok(if root.is_empty() {
        parts.join("/")
    } else {
        format!("{root}/{}", parts.join("/"))
    })
}

fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// `text` as a literal inside a glob pattern.
fn glob_literal(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '*' | '?' | '[' | '{' | '}' => format!("[{c}]"),
            c => c.to_string(),
        })
        .collect()
}

/// A glob(3) pattern as a [`Reader::glob`] pattern: no `{a,b}` alternatives, `**` is `*`.
fn glob_pattern(root: &str, pattern: &str) -> String {
    let mut pattern = pattern.to_owned();
    while pattern.contains("**") {
        pattern = pattern.replace("**", "*");
    }
    let pattern = pattern.replace('{', "[{]").replace('}', "[}]");
    let root = root.trim_matches('/');
    if root.is_empty() {
        pattern
    } else {
        format!("{}/{pattern}", glob_literal(root))
    }
}

struct Parser<'a> {
    reader: &'a dyn Reader,
    sysroot: &'a str,
    files: Vec<(String, String)>,
    problems: Vec<Problem>,
    directives: Vec<Directive>,
    blocks: Vec<Block>,
    /// Files being read, outermost first (include loops).
    chain: Vec<usize>,
    parses: usize,
}

impl Parser<'_> {
    fn problem(&mut self, site: Site, message: String) {
        self.problems.push(Problem { site, message });
    }

    /// Reads file `file` with `entry` as the block in force where it is included.
    fn file(&mut self, file: usize, entry: usize, depth: usize) {
        let text = self.files[file].1.clone();
        let mut current = entry;
        let mut offset = 0;
        let mut binary = false;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset += line.len();
            let mut content = line.trim_end_matches('\n');
            if let Some(nul) = content.find('\0') {
                if !binary {
                    binary = true;
                    self.problem(
                        Site {
                            file,
                            offset: start + nul,
                            len: 1,
                        },
                        format!(
                            "`{}` contains a NUL byte: not an sshd_config text file",
                            self.files[file].0
                        ),
                    );
                }
                content = &content[..nul];
            }
            let content = content.trim_end_matches([' ', '\t', '\r', '\n', '\x0c']);
            match lex(content) {
                Lexed::Blank => {}
                Lexed::Bad {
                    message,
                    start: from,
                    end,
                } => self.problem(
                    Site {
                        file,
                        offset: start + from,
                        len: end - from,
                    },
                    message,
                ),
                Lexed::Line {
                    keyword,
                    args,
                    rest,
                } => {
                    let end = args.last().map_or(keyword.end, |a| a.end);
                    let site = Site {
                        file,
                        offset: start + keyword.start,
                        len: end - keyword.start,
                    };
                    let raw = content[rest..].trim().to_owned();
                    self.directive(
                        &keyword.text,
                        &args,
                        raw,
                        site,
                        (entry, &mut current),
                        depth,
                    );
                }
            }
        }
    }

    /// One directive; `blocks` is the block a file was entered in and the one in force.
    fn directive(
        &mut self,
        name: &str,
        args: &[Token],
        raw: String,
        site: Site,
        blocks: (usize, &mut usize),
        depth: usize,
    ) {
        let (entry, current) = blocks;
        let shown: String = name.chars().take(60).collect();
        let Some(kw) = keyword(name) else {
            self.problem(
                site,
                format!("`{shown}` is not an sshd keyword: sshd refuses to start (bad configuration option)"),
            );
            return;
        };
        if args.is_empty() && (raw.is_empty() || !kw.has(RAW)) {
            self.problem(site, format!("`{shown}` has no argument"));
            return;
        }
        if !self.blocks[*current].global && !kw.has(MATCH) {
            self.problem(
                site,
                format!(
                    "`{}` is not allowed inside a `Match` block (`{}`): sshd refuses to start",
                    kw.display, self.blocks[*current].scope
                ),
            );
            return;
        }
        if kw.has(ONE) && args.len() > 1 {
            self.problem(
                site,
                format!(
                    "`{}` takes one argument, not {}: sshd refuses to start",
                    kw.display,
                    args.len()
                ),
            );
        }
        match kw.canonical {
            "match" => {
                let (label, all, problem) = match_label(args);
                if let Some(problem) = problem {
                    self.problem(site, format!("bad `Match` condition: {problem}"));
                }
                let outer = &self.blocks[entry];
                let block = if outer.global {
                    Block {
                        scope: label,
                        global: all,
                    }
                } else {
                    Block {
                        scope: format!("{}; {label}", outer.scope),
                        global: false,
                    }
                };
                self.blocks.push(block);
                *current = self.blocks.len() - 1;
            }
            "include" => {
                for arg in args {
                    self.include(&arg.text, site, *current, depth);
                }
            }
            _ if kw.has(OBSOLETE) => {}
            canonical => {
                if let (Some(list), Some(spec)) = (algorithms(canonical), args.first()) {
                    let bad = unsupported(list, &spec.text);
                    if !bad.is_empty() {
                        self.problem(
                            site,
                            format!(
                                "`{}` lists `{}`, which {OPENSSH} does not support: sshd refuses to start",
                                kw.display,
                                bad.join("`, `")
                            ),
                        );
                    }
                }
                self.directives.push(Directive {
                    keyword: canonical,
                    args: args.iter().map(|a| a.text.clone()).collect(),
                    raw,
                    site,
                    block: *current,
                });
            }
        }
    }

    /// `Include arg`, read in `block`.
    fn include(&mut self, arg: &str, site: Site, block: usize, depth: usize) {
        let path = match include_path(self.sysroot, arg) {
            Ok(path) => path,
            Err(message) => return self.problem(site, message),
        };
        let literal = !is_glob(arg);
        let paths = if literal {
            vec![path]
        } else {
            let root = self.sysroot.trim_matches('/');
            let rel = if root.is_empty() {
                path.as_str()
            } else {
                path.strip_prefix(root)
                    .map_or(path.as_str(), |p| p.trim_start_matches('/'))
            };
            let wanted: Vec<&str> = rel.split('/').collect();
            let mut found: Vec<String> = self
                .reader
                .glob(&glob_pattern(root, rel))
                .into_iter()
                .filter(|m| {
                    // glob(3) without GLOB_PERIOD: a wildcard never matches a leading dot.
                    let inner = if root.is_empty() {
                        m.as_str()
                    } else {
                        m.strip_prefix(root)
                            .map_or(m.as_str(), |p| p.trim_start_matches('/'))
                    };
                    let got: Vec<&str> = inner.split('/').collect();
                    got.len() != wanted.len()
                        || got
                            .iter()
                            .zip(&wanted)
                            .all(|(g, w)| w.starts_with('.') || !g.starts_with('.'))
                })
                .collect();
            found.sort();
            found
        };
        for path in paths {
            if let Some(pos) = self.chain.iter().position(|&f| self.files[f].0 == path) {
                let cycle: Vec<&str> = self.chain[pos..]
                    .iter()
                    .map(|&f| self.files[f].0.as_str())
                    .chain([path.as_str()])
                    .collect();
                let message = format!(
                    "include loop: `{}`; sshd refuses to start (too many recursive includes)",
                    cycle.join("` includes `")
                );
                self.problem(site, message);
                continue;
            }
            if depth + 1 > MAX_INCLUDE_DEPTH {
                self.problem(
                    site,
                    format!("includes nest deeper than {MAX_INCLUDE_DEPTH} levels: sshd refuses to start"),
                );
                continue;
            }
            if self.parses >= MAX_PARSES {
                self.problem(
                    site,
                    format!("more than {MAX_PARSES} included files: the rest is not checked"),
                );
                return;
            }
            let index = if let Some(i) = self.files.iter().position(|(p, _)| *p == path) {
                i
            } else {
                if self.files.len() > MAX_INCLUDED_FILES {
                    self.problem(
                        site,
                        format!(
                            "more than {MAX_INCLUDED_FILES} included files: the rest is not checked"
                        ),
                    );
                    return;
                }
                // sshd skips an include that matches nothing.
                if literal && !self.reader.exists(&path) {
                    continue;
                }
                match self.reader.read(&path) {
                    Ok(text) => {
                        self.files.push((path, text));
                        self.files.len() - 1
                    }
                    Err(e) => {
                        self.problem(site, format!("cannot include `{path}`: {e}"));
                        continue;
                    }
                }
            };
            self.parses += 1;
            self.chain.push(index);
            self.file(index, block, depth + 1);
            self.chain.pop();
        }
    }

    /// sshd refuses a second `Subsystem` of the same name.
    fn duplicate_subsystems(&mut self) {
        let mut seen = BTreeSet::new();
        let mut duplicates = Vec::new();
        for d in &self.directives {
            if d.keyword == "subsystem"
                && self.blocks[d.block].global
                && let Some(name) = d.args.first()
                && !seen.insert(name.clone())
            {
                duplicates.push((d.site, name.clone()));
            }
        }
        for (site, name) in duplicates {
            self.problem(
                site,
                format!("`Subsystem {name}` is defined twice: sshd refuses to start"),
            );
        }
    }
}

/// `MaxStartups` after several lines: `start:rate:full` overwrites all three, a bare `n`
/// sets start and full and keeps the rate read before (sshd's `sscanf` into the same fields).
fn max_startups(directives: &[&Directive]) -> String {
    let mut rate: Option<String> = None;
    let mut value = String::new();
    for d in directives {
        let arg = d.args.first().map_or("", String::as_str);
        let fields: Vec<&str> = arg.split(':').collect();
        value = match fields.as_slice() {
            [_, r, _] => {
                rate = Some((*r).to_owned());
                arg.to_owned()
            }
            [n] => match &rate {
                Some(r) => format!("{n}:{r}:{n}"),
                None => arg.to_owned(),
            },
            _ => arg.to_owned(),
        };
    }
    value
}

/// The value a list of directives (in order, one scope) gives their keyword, and where.
fn fold(canonical: &str, directives: &[&Directive]) -> Option<(Value, Site)> {
    let flags = keyword(canonical).map_or(GLOBAL, |k| k.flags);
    if flags & LAST != 0 {
        let last = directives.last()?;
        let value = if canonical == "maxstartups" {
            max_startups(directives)
        } else {
            last.args.join(" ")
        };
        return Some((Value::String(value), last.site));
    }
    let first = directives.first()?;
    let list = |items: Vec<String>| {
        if items.len() == 1 {
            Value::String(items.into_iter().next().unwrap_or_default())
        } else {
            Value::Array(items.into_iter().map(Value::String).collect())
        }
    };
    let value = if flags & SUBSYSTEM != 0 {
        let mut map = Map::new();
        for d in directives {
            if let Some((name, command)) = d.args.split_first() {
                map.entry(name.clone())
                    .or_insert_with(|| Value::String(command.join(" ")));
            }
        }
        Value::Object(map)
    } else if flags & ACCUMULATE != 0 {
        list(directives.iter().flat_map(|d| d.args.clone()).collect())
    } else if flags & ACCUMULATE_FIRST != 0 {
        list(
            directives
                .iter()
                .filter_map(|d| d.args.first().cloned())
                .collect(),
        )
    } else if let (Some(algs), Some(spec)) = (algorithms(canonical), first.args.first()) {
        Value::Array(resolve(algs, spec).into_iter().map(Value::String).collect())
    } else if flags & RAW != 0 {
        Value::String(first.raw.clone())
    } else {
        Value::String(first.args.join(" "))
    };
    Some((value, first.site))
}

impl Format for Sshd {
    fn parse(&self, input: &Input<'_>, reader: &dyn Reader) -> Parsed {
        let mut parser = Parser {
            reader,
            sysroot: input.sysroot,
            files: vec![(input.path.to_owned(), input.text.to_owned())],
            problems: Vec::new(),
            directives: Vec::new(),
            blocks: vec![Block {
                scope: String::new(),
                global: true,
            }],
            chain: vec![0],
            parses: 0,
        };
        parser.file(0, 0, 0);
        parser.duplicate_subsystems();
        Parsed {
            files: parser.files,
            problems: parser.problems,
            data: Box::new(Data {
                directives: parser.directives,
                blocks: parser.blocks,
            }),
        }
    }

    fn lookup(&self, parsed: &Parsed, key: &str) -> Vec<Found> {
        let Some(data) = parsed.data.downcast_ref::<Data>() else {
            return Vec::new();
        };
        let canonical =
            keyword(key).map_or_else(|| key.to_ascii_lowercase(), |k| k.canonical.to_owned());
        if keyword(&canonical).is_some_and(|k| k.has(STRUCTURE)) {
            return Vec::new();
        }
        let of = |pick: &dyn Fn(&Directive) -> bool| -> Vec<&Directive> {
            data.directives
                .iter()
                .filter(|d| d.keyword == canonical && pick(d))
                .collect()
        };
        let global = fold(&canonical, &of(&|d| data.blocks[d.block].global));
        let mut scoped = Vec::new();
        for (index, block) in data.blocks.iter().enumerate().skip(1) {
            let Some((value, site)) = fold(&canonical, &of(&|d| d.block == index)) else {
                continue;
            };
            // A top-level `Match all` that only holds the global value adds nothing.
            if block.global
                && global
                    .as_ref()
                    .is_some_and(|(v, s)| *s == site && *v == value)
            {
                continue;
            }
            scoped.push(Found::Value(Observed {
                value,
                site,
                scope: Some(block.scope.clone()),
            }));
        }
        let mut out = Vec::new();
        match global {
            Some((value, site)) => out.push(Found::Value(Observed {
                value,
                site,
                scope: None,
            })),
            // Set only inside `Match` blocks: every other connection gets the built-in default.
            None if !scoped.is_empty() => out.push(Found::Missing {
                scope: "the global section".to_owned(),
                site: Site {
                    file: 0,
                    offset: 0,
                    len: 0,
                },
            }),
            None => {}
        }
        out.extend(scoped);
        out
    }

    fn placement(&self, key: &str) -> String {
        let name = keyword(key).map_or(key, |k| k.display);
        format!("add `{name}` to the global section, before any `Match` block")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::testing::MemoryReader as Files;

    fn parse_with(text: &str, files: &[(&str, &str)]) -> Parsed {
        let reader = Files::of(files);
        Sshd.parse(
            &Input {
                path: "root/etc/ssh/sshd_config",
                text,
                sysroot: "root",
            },
            &reader,
        )
    }

    fn parse(text: &str) -> Parsed {
        parse_with(text, &[])
    }

    /// `(scope, value)` of every value found for `key`.
    fn values(parsed: &Parsed, key: &str) -> Vec<(Option<String>, Value)> {
        Sshd.lookup(parsed, key)
            .into_iter()
            .map(|f| match f {
                Found::Value(o) => (o.scope, o.value),
                Found::Missing { scope, .. } => (Some(format!("missing: {scope}")), Value::Null),
            })
            .collect()
    }

    fn global(parsed: &Parsed, key: &str) -> Value {
        values(parsed, key)
            .into_iter()
            .find(|(scope, _)| scope.is_none())
            .map_or(Value::Null, |(_, v)| v)
    }

    fn messages(parsed: &Parsed) -> Vec<String> {
        parsed.problems.iter().map(|p| p.message.clone()).collect()
    }

    #[test]
    fn lexes_like_sshd() {
        let Lexed::Line { keyword, args, .. } = lex("  PermitRootLogin = \"no\" # why") else {
            panic!()
        };
        assert_eq!(keyword.text, "PermitRootLogin");
        assert_eq!(args.len(), 1);
        assert_eq!(args[0].text, "no");
        let Lexed::Line { keyword, args, .. } = lex("Port=22") else {
            panic!()
        };
        assert_eq!(
            (keyword.text.as_str(), args[0].text.as_str()),
            ("Port", "22")
        );
        let Lexed::Line { args, .. } = lex(r#"AllowUsers "a b" c\ d e#f 'g"h'"#) else {
            panic!()
        };
        let texts: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
        assert_eq!(texts, ["a b", "c d", "e#f", "g\"h"]);
        assert!(matches!(lex("   # comment"), Lexed::Blank));
        assert!(matches!(lex(""), Lexed::Blank));
        assert!(matches!(lex("Banner \"open"), Lexed::Bad { .. }));
        assert!(matches!(lex("\"Banner"), Lexed::Bad { .. }));
        let Lexed::Line { args, .. } = lex("PasswordAuthentication # nothing") else {
            panic!()
        };
        assert!(args.is_empty());
    }

    #[test]
    fn first_value_wins_across_aliases_and_case() {
        let p = parse(
            "permitrootlogin no\nPermitRootLogin yes\nChallengeResponseAuthentication no\nKbdInteractiveAuthentication yes\nPort 22\nPort 2222\nAcceptEnv LANG LC_*\nAcceptEnv TZ\nSubsystem sftp internal-sftp -l INFO\nMaxStartups 10:30:60\nMaxStartups 5\n",
        );
        assert!(p.problems.is_empty(), "{:?}", messages(&p));
        assert_eq!(global(&p, "PermitRootLogin"), "no");
        assert_eq!(global(&p, "PERMITROOTLOGIN"), "no");
        assert_eq!(global(&p, "KbdInteractiveAuthentication"), "no");
        assert_eq!(global(&p, "ChallengeResponseAuthentication"), "no");
        assert_eq!(global(&p, "Port"), serde_json::json!(["22", "2222"]));
        assert_eq!(
            global(&p, "AcceptEnv"),
            serde_json::json!(["LANG", "LC_*", "TZ"])
        );
        assert_eq!(
            global(&p, "Subsystem"),
            serde_json::json!({"sftp": "internal-sftp -l INFO"})
        );
        assert_eq!(global(&p, "MaxStartups"), "5:30:5");
        assert!(Sshd.lookup(&p, "X11Forwarding").is_empty());
    }

    #[test]
    fn match_blocks_are_scopes_and_match_all_is_global_at_load() {
        let p = parse(
            "PasswordAuthentication no\nMatch User deploy\n  PasswordAuthentication yes\n  X11Forwarding yes\nMatch all\n  X11Forwarding no\n  PasswordAuthentication yes\n",
        );
        assert!(p.problems.is_empty(), "{:?}", messages(&p));
        assert_eq!(
            values(&p, "PasswordAuthentication"),
            [
                (None, Value::from("no")),
                (Some("Match User deploy".into()), Value::from("yes")),
                (Some("Match all".into()), Value::from("yes")),
            ]
        );
        // The global section leaves X11Forwarding alone: `Match all` provides the global value.
        assert_eq!(
            values(&p, "X11Forwarding"),
            [
                (None, Value::from("no")),
                (Some("Match User deploy".into()), Value::from("yes")),
            ]
        );
        let only = parse("Match User=backup Address 10.0.0.0/8\n PermitRootLogin no\n");
        assert_eq!(
            values(&only, "PermitRootLogin"),
            [
                (Some("missing: the global section".into()), Value::Null),
                (
                    Some("Match User backup Address 10.0.0.0/8".into()),
                    Value::from("no")
                ),
            ]
        );
    }

    #[test]
    fn includes_follow_sshd() {
        let files = [
            (
                "root/etc/ssh/sshd_config.d/20-b.conf",
                "MaxAuthTries 3\nX11Forwarding no\n",
            ),
            (
                "root/etc/ssh/sshd_config.d/10-a.conf",
                "Match Group admins\n MaxAuthTries 9\n",
            ),
            (
                "root/etc/ssh/sshd_config.d/.hidden.conf",
                "MaxAuthTries 1\n",
            ),
            ("root/etc/ssh/sshd_config.d/notes.txt", "MaxAuthTries 1\n"),
            ("root/etc/ssh/match.conf", "PermitTTY no\n"),
        ];
        let p = parse_with(
            "Include /etc/ssh/sshd_config.d/*.conf /etc/ssh/none/*.conf\nInclude missing.conf\nMatch User bob\n Include match.conf\n",
            &files,
        );
        assert!(p.problems.is_empty(), "{:?}", messages(&p));
        assert_eq!(
            values(&p, "MaxAuthTries"),
            [
                (None, Value::from("3")),
                (Some("Match Group admins".into()), Value::from("9")),
            ]
        );
        assert_eq!(global(&p, "X11Forwarding"), "no");
        assert_eq!(
            values(&p, "PermitTTY"),
            [
                (Some("missing: the global section".into()), Value::Null),
                (Some("Match User bob".into()), Value::from("no")),
            ]
        );
        let names: Vec<&str> = p.files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "root/etc/ssh/sshd_config",
                "root/etc/ssh/sshd_config.d/10-a.conf",
                "root/etc/ssh/sshd_config.d/20-b.conf",
                "root/etc/ssh/match.conf"
            ]
        );
    }

    #[test]
    fn include_loops_depth_and_tilde_are_problems() {
        let p = parse_with(
            "Include /etc/ssh/a.conf\nInclude ~/x.conf\n",
            &[
                ("root/etc/ssh/a.conf", "Include b.conf\n"),
                ("root/etc/ssh/b.conf", "Include a.conf\n"),
            ],
        );
        assert_eq!(
            messages(&p),
            [
                "include loop: `root/etc/ssh/a.conf` includes `root/etc/ssh/b.conf` includes `root/etc/ssh/a.conf`; sshd refuses to start (too many recursive includes)",
                "`Include ~/x.conf`: sshd does not expand `~`, so the path depends on its working directory",
            ]
        );
        // A chain 20 files deep.
        let chain: Vec<(String, String)> = (0..20)
            .map(|i| {
                (
                    format!("root/etc/ssh/{i}.conf"),
                    format!("Include {}.conf\n", i + 1),
                )
            })
            .collect();
        let refs: Vec<(&str, &str)> = chain
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let p = parse_with("Include 0.conf\n", &refs);
        assert_eq!(
            messages(&p),
            ["includes nest deeper than 16 levels: sshd refuses to start"]
        );
        // `..` cannot climb above the sysroot.
        assert_eq!(
            include_path("deploy/prod", "../../../../etc/passwd"),
            Ok("deploy/prod/etc/passwd".to_owned())
        );
        assert_eq!(
            include_path("", "sshd_config.d/x.conf"),
            Ok("etc/ssh/sshd_config.d/x.conf".to_owned())
        );
    }

    #[test]
    fn algorithm_lists_resolve_against_the_defaults() {
        let ciphers = algorithms("ciphers").unwrap();
        assert_eq!(
            resolve(ciphers, "+aes128-cbc").last().unwrap(),
            "aes128-cbc"
        );
        assert_eq!(resolve(ciphers, "+aes128-ctr").len(), DEFAULT_CIPHERS.len());
        assert_eq!(
            resolve(ciphers, "-aes*-ctr"),
            [
                "chacha20-poly1305@openssh.com",
                "aes128-gcm@openssh.com",
                "aes256-gcm@openssh.com"
            ]
        );
        assert_eq!(resolve(ciphers, "^aes256-ctr")[0], "aes256-ctr");
        assert_eq!(resolve(ciphers, "^aes256-ctr").len(), DEFAULT_CIPHERS.len());
        assert_eq!(
            resolve(ciphers, "aes128-ctr,aes128-ctr,aes256-ctr"),
            ["aes128-ctr", "aes256-ctr"]
        );
        let macs = algorithms("macs").unwrap();
        assert_eq!(
            resolve(macs, "-!hmac-sha1,hmac*"),
            [
                "umac-64-etm@openssh.com",
                "umac-128-etm@openssh.com",
                "umac-64@openssh.com",
                "umac-128@openssh.com",
                "hmac-sha1"
            ]
        );
        let keys = algorithms("hostkeyalgorithms").unwrap();
        assert_eq!(
            resolve(keys, "ssh-ed25519*"),
            ["ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com"]
        );
        assert_eq!(unsupported(ciphers, "aes*-ctr"), ["aes*-ctr"]);
        assert_eq!(unsupported(ciphers, "-whatever"), Vec::<String>::new());
        assert!(unsupported(keys, "rsa-sha2-*").is_empty());
        assert_eq!(unsupported(keys, "nope-*"), ["nope-*"]);
        assert!(wildcard("abc", "a*c") && wildcard("abc", "a?c") && !wildcard("abc", "a*d"));
        assert!(wildcard("", "*") && !wildcard("", "?"));
    }

    #[test]
    fn rejected_configs_are_problems() {
        for (text, want) in [
            ("Foo bar\n", "`Foo` is not an sshd keyword"),
            (
                "Match User x\n Port 22\n",
                "`Port` is not allowed inside a `Match` block",
            ),
            ("Match Usr x\n", "unsupported `Match` attribute `Usr`"),
            ("Match all User x\n", "`all` cannot be combined"),
            ("Match User\n", "`Match User` has no criteria"),
            ("Match\n", "`Match` has no argument"),
            ("PermitRootLogin no yes\n", "takes one argument, not 2"),
            (
                "Subsystem a b\nSubsystem a c\n",
                "`Subsystem a` is defined twice",
            ),
            ("Ciphers aes128-ctr,rc4\n", "lists `rc4`"),
            ("Banner \"x\n", "unbalanced quotes"),
        ] {
            let p = parse(text);
            assert!(
                messages(&p).iter().any(|m| m.contains(want)),
                "{text:?}: {:?}",
                messages(&p)
            );
        }
        // Deprecated options are accepted without effect.
        assert!(
            parse("UsePrivilegeSeparation sandbox\nProtocol 2\n")
                .problems
                .is_empty()
        );
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = b" \t\r\n#=\"'\\*?[]{}!,+-^:/.MatchIncludePortCiphers\0yes";
        for round in 0..300 {
            let len = usize::try_from(next() % 400).unwrap_or(0);
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[usize::try_from(next()).unwrap_or(0) % alphabet.len()])
                .collect();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let p = parse_with(&text, &[("root/etc/ssh/x", "Include x\n")]);
            for key in ["Port", "Ciphers", "Match", "Include", "Subsystem", "x", ""] {
                let _ = Sshd.lookup(&p, key);
            }
            assert!(
                p.problems.iter().all(|pr| {
                    let file = &p.files[pr.site.file].1;
                    pr.site.offset + pr.site.len <= file.len()
                }),
                "round {round}: {text:?}"
            );
        }
        // A huge line, a truncated quote, multi-byte text, a NUL, no trailing newline.
        let huge = format!("Banner {}\n", "é".repeat(300_000));
        assert!(parse(&huge).problems.is_empty());
        assert_eq!(parse("Banner \"/etc/iss").problems.len(), 1);
        assert_eq!(parse("Port 22\0\u{1}garbage\nPort 23").problems.len(), 1);
        assert_eq!(
            global(&parse("Port 22\0\u{1}garbage\nPort 23"), "Port"),
            serde_json::json!(["22", "23"])
        );
    }
}
