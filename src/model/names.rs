//! A short list of strings in one allocation. Every RBAC rule keeps four such lists
//! (verbs, API groups, resources, resource names), and a large scan keeps every rule:
//! a boxed slice of inline strings takes 24 bytes per entry however short.

/// Each entry is its length in bytes (LEB128) followed by its UTF-8 text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names(Box<[u8]>);

impl Names {
    /// Whether the list has no entries (a list of one empty string is not empty).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter { rest: &self.0 }
    }

    pub fn join(&self, separator: &str) -> String {
        self.iter().collect::<Vec<_>>().join(separator)
    }
}

impl<'a> FromIterator<&'a str> for Names {
    fn from_iter<I: IntoIterator<Item = &'a str>>(names: I) -> Self {
        let mut bytes = Vec::new();
        for name in names {
            let mut len = name.len();
            loop {
                let low = (len & 0x7f) as u8;
                len >>= 7;
                if len == 0 {
                    bytes.push(low);
                    break;
                }
                bytes.push(low | 0x80);
            }
            bytes.extend_from_slice(name.as_bytes());
        }
        Names(bytes.into_boxed_slice())
    }
}

impl<'a> IntoIterator for &'a Names {
    type Item = &'a str;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

pub struct Iter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let (&byte, rest) = self.rest.split_first()?;
            self.rest = rest;
            len |= usize::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let (name, rest) = self.rest.split_at_checked(len)?;
        self.rest = rest;
        // Written from `&str` only, so always UTF-8; a bad list would end here.
        std::str::from_utf8(name).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::Names;

    #[test]
    fn entries_come_back_as_written() {
        let long = "x".repeat(300);
        let written = ["get", "", "serviceaccounts/token", long.as_str(), "ü*"];
        let names: Names = written.iter().copied().collect();
        assert_eq!(names.iter().collect::<Vec<_>>(), written);
        assert_eq!(names.join(", "), written.join(", "));
        assert!(!names.is_empty());
        let one_empty: Names = [""].into_iter().collect();
        assert!(!one_empty.is_empty(), "[\"\"] is the core API group");
        assert_eq!(one_empty.iter().collect::<Vec<_>>(), [""]);
        let none: Names = std::iter::empty().collect();
        assert!(none.is_empty());
        assert_eq!(none.iter().count(), 0);
    }
}
