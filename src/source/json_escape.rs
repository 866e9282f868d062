//! The one place JSON string escapes are decoded, shared by the two position-keeping JSON
//! readers: conformance's strict parser (`conform/structured/json.rs`) and the inventory's
//! lenient lockfile reader (`inventory/located_json.rs`). Pure: bytes in, a char and the
//! position after it out.

/// Decodes the escape whose letter is at `at` (just after the `\`): `\"`, `\\`, `\/`, `\b`,
/// `\f`, `\n`, `\r`, `\t`, `\uXXXX` and surrogate pairs `\uD83D\uDE00`. Returns the character
/// and the position after the escape, or why it is invalid and where.
pub(crate) fn decode(bytes: &[u8], at: usize) -> Result<(char, usize), (&'static str, usize)> {
    let c = match bytes.get(at) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => return unicode(bytes, at + 1),
        _ => return Err(("an invalid escape sequence", at)),
    };
    Ok((c, at + 1))
}

const LONE: &str = "a lone surrogate in a `\\u` escape";

fn unicode(bytes: &[u8], at: usize) -> Result<(char, usize), (&'static str, usize)> {
    let high = hex4(bytes, at)?;
    let mut end = at + 4;
    if (0xD800..0xDC00).contains(&high) {
        if !bytes[end..].starts_with(b"\\u") {
            return Err((LONE, end));
        }
        end += 2;
        let low = hex4(bytes, end)?;
        if !(0xDC00..0xE000).contains(&low) {
            return Err((LONE, end));
        }
        end += 4;
        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
        return char::from_u32(code)
            .map(|c| (c, end))
            .ok_or(("an invalid `\\u` escape", end));
    }
    char::from_u32(high).map(|c| (c, end)).ok_or((LONE, end))
}

fn hex4(bytes: &[u8], at: usize) -> Result<u32, (&'static str, usize)> {
    bytes
        .get(at..at + 4)
        .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
        .and_then(|d| std::str::from_utf8(d).ok())
        .and_then(|d| u32::from_str_radix(d, 16).ok())
        .ok_or(("expected four hex digits after `\\u`", at))
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn escapes_decode_or_say_why_not() {
        assert_eq!(decode(br"n", 0), Ok(('\n', 1)));
        assert_eq!(decode(br"u00e9", 0), Ok(('é', 5)));
        assert_eq!(decode(br"uD83D\uDE00", 0), Ok(('😀', 11)));
        assert_eq!(decode(br"x", 0), Err(("an invalid escape sequence", 0)));
        assert_eq!(
            decode(br"u12", 0).unwrap_err().0,
            "expected four hex digits after `\\u`"
        );
        assert_eq!(
            decode(br"uD83Dx", 0),
            Err(("a lone surrogate in a `\\u` escape", 5))
        );
        assert_eq!(
            decode(br"uDE00", 0).unwrap_err().0,
            "a lone surrogate in a `\\u` escape"
        );
        assert!(decode(b"", 0).is_err());
    }
}
