//! Pretty-printed JSON written a piece at a time, byte for byte as `serde_json` prints
//! the whole value: the JSON formats write each finding as the scan finds it, and close
//! their arrays and objects at the end.

use std::io::{self, Write};

use serde::Serialize;

/// Writes `value` pretty-printed as if it were nested `indent` spaces deep.
pub fn value<W: Write + ?Sized>(
    out: &mut W,
    indent: usize,
    value: &impl Serialize,
) -> io::Result<()> {
    serde_json::to_writer_pretty(
        Indented {
            out,
            spaces: indent,
        },
        value,
    )?;
    Ok(())
}

/// Adds `spaces` after every line break. JSON strings hold no raw line break, so every
/// one is the printer's own.
struct Indented<'a, W: ?Sized> {
    out: &'a mut W,
    spaces: usize,
}

impl<W: Write + ?Sized> Write for Indented<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.out.write_all(&rest[..=end])?;
            spaces(self.out, self.spaces)?;
            rest = &rest[end + 1..];
        }
        self.out.write_all(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn spaces<W: Write + ?Sized>(out: &mut W, mut n: usize) -> io::Result<()> {
    const SPACES: &[u8] = &[b' '; 64];
    while n > 0 {
        let now = n.min(SPACES.len());
        out.write_all(&SPACES[..now])?;
        n -= now;
    }
    Ok(())
}

/// What an object and an array share: how deep they sit and how many items they hold.
struct Nest {
    indent: usize,
    items: usize,
}

impl Nest {
    fn open<W: Write + ?Sized>(out: &mut W, indent: usize, bracket: &[u8]) -> io::Result<Nest> {
        out.write_all(bracket)?;
        Ok(Nest { indent, items: 0 })
    }

    /// Starts the next item on its own line, one level deeper.
    fn next<W: Write + ?Sized>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(if self.items == 0 { b"\n" } else { b",\n" })?;
        spaces(out, self.indent + 2)?;
        self.items += 1;
        Ok(())
    }

    /// `{}` and `[]` stay on one line, as serde_json prints them.
    fn close<W: Write + ?Sized>(self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        if self.items > 0 {
            out.write_all(b"\n")?;
            spaces(out, self.indent)?;
        }
        out.write_all(bracket)
    }
}

/// An object `indent` spaces deep, written a field at a time.
pub struct Object(Nest);

impl Object {
    pub fn open<W: Write + ?Sized>(out: &mut W, indent: usize) -> io::Result<Object> {
        Nest::open(out, indent, b"{").map(Object)
    }

    fn key<W: Write + ?Sized>(&mut self, out: &mut W, key: &str) -> io::Result<()> {
        self.0.next(out)?;
        serde_json::to_writer(&mut *out, key)?;
        out.write_all(b": ")
    }

    pub fn field<W: Write + ?Sized>(
        &mut self,
        out: &mut W,
        key: &str,
        field: &impl Serialize,
    ) -> io::Result<()> {
        self.key(out, key)?;
        value(out, self.0.indent + 2, field)
    }

    /// Opens an array as the next field.
    pub fn array<W: Write + ?Sized>(&mut self, out: &mut W, key: &str) -> io::Result<Array> {
        self.key(out, key)?;
        Array::open(out, self.0.indent + 2)
    }

    pub fn close<W: Write + ?Sized>(self, out: &mut W) -> io::Result<()> {
        self.0.close(out, b"}")
    }
}

/// An array `indent` spaces deep, written an element at a time.
pub struct Array(Nest);

impl Array {
    pub fn open<W: Write + ?Sized>(out: &mut W, indent: usize) -> io::Result<Array> {
        Nest::open(out, indent, b"[").map(Array)
    }

    pub fn push<W: Write + ?Sized>(
        &mut self,
        out: &mut W,
        element: &impl Serialize,
    ) -> io::Result<()> {
        self.0.next(out)?;
        value(out, self.0.indent + 2, element)
    }

    /// Opens an object as the next element.
    pub fn object<W: Write + ?Sized>(&mut self, out: &mut W) -> io::Result<Object> {
        self.0.next(out)?;
        Object::open(out, self.0.indent + 2)
    }

    pub fn close<W: Write + ?Sized>(self, out: &mut W) -> io::Result<()> {
        self.0.close(out, b"]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pieces_print_as_the_whole_value_does() {
        let mut out = Vec::new();
        let o: &mut dyn Write = &mut out;
        let mut root = Object::open(o, 0).unwrap();
        root.field(o, "name", &"a\nb").unwrap();
        let mut runs = root.array(o, "runs").unwrap();
        // `json!` objects print their keys sorted: the pieces come in that order.
        let mut run = runs.object(o).unwrap();
        run.array(o, "empty").unwrap().close(o).unwrap();
        let mut results = run.array(o, "results").unwrap();
        results.push(o, &json!({"id": 1, "list": [true]})).unwrap();
        results.push(o, &json!("two")).unwrap();
        results.close(o).unwrap();
        run.field(o, "tool", &json!({"rules": [1, {"x": []}], "e": {}}))
            .unwrap();
        run.close(o).unwrap();
        runs.object(o).unwrap().close(o).unwrap();
        runs.close(o).unwrap();
        root.close(o).unwrap();
        let whole = json!({
            "name": "a\nb",
            "runs": [
                {
                    "tool": {"rules": [1, {"x": []}], "e": {}},
                    "results": [{"id": 1, "list": [true]}, "two"],
                    "empty": []
                },
                {}
            ]
        });
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string_pretty(&whole).unwrap()
        );
    }
}
