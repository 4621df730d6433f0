//! Counting the items of one list in a JSON answer as its bytes arrive, keeping none of them:
//! an answer that is only counted (Kubo's peers) costs the same small memory at any length.

/// Containers nested deeper than this are refused: the counter's only memory is their stack.
const MAX_DEPTH: usize = 64;

/// What an open container expects next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// An object's first key, or its end.
    KeyOrEnd,
    /// A key after a comma.
    Key,
    Colon,
    /// An array's first value, or its end.
    ValueOrEnd,
    Value,
    CommaOrEnd,
}

#[derive(Clone, Copy, Debug)]
struct Open {
    object: bool,
    expect: Expect,
}

/// Counts the items of the list under `field` in a JSON object (`{"Peers":[{…},{…}]}` counts
/// 2; `null` or an absent field counts 0), fed in pieces of any size. It checks the structure
/// (one object, keys and colons, commas between values, balanced brackets, terminated
/// strings), not the scalars themselves.
#[derive(Debug)]
pub struct ListCounter {
    field: &'static str,
    count: u64,
    open: Vec<Open>,
    /// The top-level object has closed.
    done: bool,
    in_string: bool,
    escaped: bool,
    in_scalar: bool,
    /// The string being read is a key of the top-level object: whether it is `field` so far,
    /// and its length.
    reading_key: bool,
    key_matches: bool,
    key_len: usize,
    /// The next value of the top-level object is `field`'s.
    field_next: bool,
    /// The scalar being read is `field`'s value, and what of `null` it has matched so far.
    field_scalar: Option<usize>,
    /// The depth of `field`'s list once it has opened.
    list_depth: Option<usize>,
}

impl ListCounter {
    pub fn new(field: &'static str) -> ListCounter {
        ListCounter {
            field,
            count: 0,
            open: Vec::new(),
            done: false,
            in_string: false,
            escaped: false,
            in_scalar: false,
            reading_key: false,
            key_matches: false,
            key_len: 0,
            field_next: false,
            field_scalar: None,
            list_depth: None,
        }
    }

    /// Takes the next piece of the answer; an error says what is wrong with it.
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), String> {
        piece.iter().try_for_each(|&byte| self.step(byte))
    }

    /// The count, once the whole answer has been fed.
    pub fn finish(mut self) -> Result<u64, String> {
        if self.in_scalar {
            self.end_scalar()?;
        }
        if self.done {
            Ok(self.count)
        } else {
            Err("the answer ends before its object does".into())
        }
    }

    fn step(&mut self, byte: u8) -> Result<(), String> {
        if self.in_string {
            self.string_byte(byte);
            return Ok(());
        }
        if self.in_scalar {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'+' | b'.') {
                if let Some(matched) = self.field_scalar.as_mut() {
                    let null_so_far = b"null".get(*matched) == Some(&byte);
                    *matched = if null_so_far {
                        *matched + 1
                    } else {
                        usize::MAX
                    };
                }
                return Ok(());
            }
            self.end_scalar()?;
        }
        if byte.is_ascii_whitespace() {
            return Ok(());
        }
        let Some(top) = self.open.last().copied() else {
            return match (self.done, byte) {
                (false, b'{') => self.push(true),
                (true, _) => Err("more after the answer's object".into()),
                _ => Err("not a JSON object".into()),
            };
        };
        match (top.expect, byte) {
            (Expect::KeyOrEnd | Expect::Key, b'"') => {
                self.set_expect(Expect::Colon);
                self.in_string = true;
                self.reading_key = self.open.len() == 1;
                self.key_matches = true;
                self.key_len = 0;
                Ok(())
            }
            (Expect::Colon, b':') => {
                self.set_expect(Expect::Value);
                Ok(())
            }
            (Expect::CommaOrEnd, b',') => {
                self.set_expect(if top.object {
                    Expect::Key
                } else {
                    Expect::Value
                });
                Ok(())
            }
            (Expect::KeyOrEnd | Expect::CommaOrEnd, b'}') if top.object => self.pop(),
            (Expect::ValueOrEnd | Expect::CommaOrEnd, b']') if !top.object => self.pop(),
            // An object, a list, a string, or a scalar (a number, true, false, null).
            (
                Expect::Value | Expect::ValueOrEnd,
                b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b'a'..=b'z',
            ) => self.value(byte),
            _ => Err(format!(
                "unexpected '{}' in the answer",
                char::from(byte).escape_default()
            )),
        }
    }

    /// A value starts with `byte` in the innermost open container.
    fn value(&mut self, byte: u8) -> Result<(), String> {
        let is_field = std::mem::take(&mut self.field_next) && self.open.len() == 1;
        if self.list_depth == Some(self.open.len()) {
            self.count += 1;
        }
        self.set_expect(Expect::CommaOrEnd);
        if is_field {
            match byte {
                b'[' => self.list_depth = Some(self.open.len() + 1),
                b'n' => self.field_scalar = Some(0),
                _ => return Err(format!("'{}' is not a list", self.field)),
            }
        }
        match byte {
            b'{' => self.push(true),
            b'[' => self.push(false),
            b'"' => {
                self.in_string = true;
                self.reading_key = false;
                Ok(())
            }
            _ => {
                self.in_scalar = true;
                self.step(byte)
            }
        }
    }

    fn string_byte(&mut self, byte: u8) {
        if self.escaped {
            self.escaped = false;
            return;
        }
        match byte {
            b'\\' => {
                self.escaped = true;
                // An escaped key is never the field's plain name.
                self.key_matches = false;
            }
            b'"' => {
                self.in_string = false;
                if std::mem::take(&mut self.reading_key) {
                    self.field_next = self.key_matches && self.key_len == self.field.len();
                }
            }
            _ if self.reading_key => {
                self.key_matches &= self.field.as_bytes().get(self.key_len) == Some(&byte);
                self.key_len += 1;
            }
            _ => {}
        }
    }

    fn end_scalar(&mut self) -> Result<(), String> {
        self.in_scalar = false;
        match self.field_scalar.take() {
            Some(4) | None => Ok(()),
            Some(_) => Err(format!("'{}' is not a list", self.field)),
        }
    }

    fn set_expect(&mut self, expect: Expect) {
        if let Some(top) = self.open.last_mut() {
            top.expect = expect;
        }
    }

    fn push(&mut self, object: bool) -> Result<(), String> {
        if self.open.len() >= MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH}"));
        }
        self.open.push(Open {
            object,
            expect: if object {
                Expect::KeyOrEnd
            } else {
                Expect::ValueOrEnd
            },
        });
        Ok(())
    }

    fn pop(&mut self) -> Result<(), String> {
        if self.list_depth == Some(self.open.len()) {
            self.list_depth = None;
        }
        self.open.pop();
        self.done = self.open.is_empty();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(pieces: &[&str]) -> Result<u64, String> {
        let mut counter = ListCounter::new("Peers");
        for piece in pieces {
            counter.feed(piece.as_bytes())?;
        }
        counter.finish()
    }

    #[test]
    fn counts_the_items_of_the_field_list() {
        let answer = r#"{"Peers":[{"Addr":"/ip4/10.0.0.2/tcp/4001","Peer":"12D3KooWA","Latency":"","Muxer":"","Direction":0,"Streams":null},{"Addr":"/ip4/10.0.0.3/udp/4001/quic-v1","Peer":"12D3KooWB","Streams":[{"Protocol":"/ipfs/bitswap"}]}]}"#;
        assert_eq!(count(&[answer]), Ok(2));
        // Fed a byte at a time, it is the same.
        let bytes: Vec<String> = answer.chars().map(String::from).collect();
        let pieces: Vec<&str> = bytes.iter().map(String::as_str).collect();
        assert_eq!(count(&pieces), Ok(2));
        assert_eq!(
            count(&["{ \"Other\": [1, 2, 3], \"Peers\" : [ 1 , \"a]\\\"\" , [ ] , { } , null ] , \"After\": {\"Peers\": [9]} }\n"]),
            Ok(5)
        );
    }

    #[test]
    fn no_peers_is_zero() {
        for answer in [
            r#"{"Peers":null}"#,
            r#"{"Peers":[]}"#,
            "{}",
            r#"{"Peersx":[1,2]}"#,
            r#"{"Peer":[1,2]}"#,
            r#"{"Pe\u0065rs":[1]}"#,
        ] {
            assert_eq!(count(&[answer]), Ok(0), "{answer}");
        }
    }

    #[test]
    fn what_is_not_such_an_object_is_refused() {
        for answer in [
            "",
            "<html>proxy</html>",
            "[1,2]",
            r#"{"Peers":[1,2]"#,
            r#"{"Peers":[1,2}}"#,
            r#"{"Peers":[1 2]}"#,
            r#"{"Peers":[1,,2]}"#,
            r#"{"Peers":[1,2,]}"#,
            r#"{"Peers":"many"}"#,
            r#"{"Peers":12}"#,
            r#"{"Peers":nul}"#,
            r#"{"Peers" [1]}"#,
            r#"{"Peers":["unterminated]}"#,
            r#"{"Peers":[]} {}"#,
            r#"{"Peers":[]},"#,
        ] {
            assert!(count(&[answer]).is_err(), "{answer}");
        }
        let deep = format!(r#"{{"Peers":[{}]}}"#, "[".repeat(100));
        assert_eq!(count(&[&deep]), Err("nested deeper than 64".into()));
    }
}
