//! CSV files as Excel saves them: UTF-8 (with or without a byte-order mark) or, on
//! Chinese Windows, GB18030 ("CSV (逗号分隔)"). The encoding is detected from the first
//! [`SNIFF`] bytes: valid UTF-8 (or a UTF-8 BOM) is read as UTF-8, anything else is
//! decoded as GB18030 while it streams, so a large file is never held in memory.
//!
//! Bytes that are not GB18030 either do not stop the reading: each row holding one is a
//! bad row naming its line and the byte's offset, with what to do (save the file as
//! "CSV UTF-8"). A UTF-16 file (Excel's "Unicode 文本") or an Excel workbook given as
//! CSV is refused at once with the same advice.

use std::collections::VecDeque;
use std::io::{self, Read};

use encoding_rs::{DecoderResult, GB18030};

use crate::import::{BadRow, ImportFileError, Row, RowSource};
use crate::Result;

/// How many bytes at the start decide the encoding.
const SNIFF: usize = 64 * 1024;
/// How many bytes are decoded at a time.
const CHUNK: usize = 64 * 1024;

/// What to tell a clerk whose file is in neither encoding.
const SAVE_AS_UTF8: &str = "在 Excel 中选“另存为”，保存类型选“CSV UTF-8（逗号分隔）”，再导入";

/// The encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// UTF-8 (a BOM, if any, is left for the header reader to drop).
    Utf8,
    /// GB18030 (GBK, GB2312), decoded to UTF-8 while reading.
    Gb18030,
}

/// A byte that is not text, found while decoding.
#[derive(Debug, Clone, Copy)]
struct Malformed {
    line: u64,
    byte: u64,
}

/// A reader that gives UTF-8 whatever the file's encoding.
pub(crate) struct Decoded<R> {
    inner: R,
    encoding: Encoding,
    /// Raw bytes read but not yet passed on or decoded.
    input: Vec<u8>,
    input_pos: usize,
    eof: bool,
    /// Decoded bytes not yet handed out (GB18030 only).
    out: Vec<u8>,
    out_pos: usize,
    decoder: encoding_rs::Decoder,
    /// Raw bytes consumed so far (for progress and byte offsets).
    consumed: u64,
    newlines: u64,
    malformed: VecDeque<Malformed>,
    /// The decoder has seen the end of the file (it must not be used again).
    done: bool,
}

impl<R: Read> Decoded<R> {
    /// Reads the start of `inner` and decides its encoding.
    pub(crate) fn new(mut inner: R) -> Result<Decoded<R>> {
        let mut input = vec![0; SNIFF];
        let mut n = 0;
        while n < SNIFF {
            match inner.read(&mut input[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        input.truncate(n);
        let eof = n < SNIFF;
        let encoding = detect(&input, eof)?;
        Ok(Decoded {
            inner,
            encoding,
            input,
            input_pos: 0,
            eof,
            out: Vec::new(),
            out_pos: 0,
            decoder: GB18030.new_decoder_without_bom_handling(),
            consumed: 0,
            newlines: 0,
            malformed: VecDeque::new(),
            done: false,
        })
    }

    /// The encoding found.
    pub(crate) fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Raw bytes of the file consumed so far.
    pub(crate) fn consumed(&self) -> u64 {
        self.consumed
    }

    /// The first undecodable byte on a line up to `last_line`, forgetting all of them.
    fn malformed_through(&mut self, first_line: u64, last_line: u64) -> Option<u64> {
        let mut found = None;
        while let Some(m) = self.malformed.front().copied() {
            if m.line > last_line {
                break;
            }
            self.malformed.pop_front();
            if m.line >= first_line && found.is_none() {
                found = Some(m.byte);
            }
        }
        found
    }

    fn fill_input(&mut self) -> io::Result<()> {
        self.input.resize(CHUNK, 0);
        self.input_pos = 0;
        loop {
            match self.inner.read(&mut self.input) {
                Ok(n) => {
                    self.input.truncate(n);
                    self.eof = n == 0;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.input.clear();
                    return Err(e);
                }
            }
        }
    }

    /// Decodes more GB18030 into `out`; leaves it empty only at the end of the file.
    fn decode_more(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        while !self.done {
            if self.input_pos == self.input.len() && !self.eof {
                self.fill_input()?;
            }
            let src = &self.input[self.input_pos..];
            let last = self.eof;
            let room = self
                .decoder
                .max_utf8_buffer_length_without_replacement(src.len())
                .unwrap_or(src.len() * 3 + 16)
                .max(16);
            let start = self.out.len();
            self.out.resize(start + room, 0);
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(src, &mut self.out[start..], last);
            self.out.truncate(start + written);
            self.newlines += self.out[start..].iter().filter(|b| **b == b'\n').count() as u64;
            self.input_pos += read;
            self.consumed += read as u64;
            match result {
                DecoderResult::Malformed(bad, after) => {
                    let byte = self.consumed - u64::from(after) - u64::from(bad);
                    self.malformed.push_back(Malformed {
                        line: self.newlines + 1,
                        byte,
                    });
                    self.out.extend_from_slice("\u{fffd}".as_bytes());
                }
                DecoderResult::OutputFull => {}
                DecoderResult::InputEmpty => {
                    if self.eof {
                        self.done = true;
                    }
                }
            }
            if self.out.len() >= CHUNK / 2 {
                break;
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.encoding {
            Encoding::Utf8 => {
                if self.input_pos < self.input.len() {
                    let n = buf.len().min(self.input.len() - self.input_pos);
                    buf[..n].copy_from_slice(&self.input[self.input_pos..self.input_pos + n]);
                    self.input_pos += n;
                    self.consumed += n as u64;
                    return Ok(n);
                }
                let n = self.inner.read(buf)?;
                self.consumed += n as u64;
                Ok(n)
            }
            Encoding::Gb18030 => {
                if self.out_pos == self.out.len() {
                    self.decode_more()?;
                }
                let n = buf.len().min(self.out.len() - self.out_pos);
                buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                Ok(n)
            }
        }
    }
}

/// The encoding of a file starting with `head` (`complete`: that is the whole file).
fn detect(head: &[u8], complete: bool) -> Result<Encoding> {
    if head.starts_with(&[0xef, 0xbb, 0xbf]) {
        return Ok(Encoding::Utf8);
    }
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Err(ImportFileError::new(
            "file",
            "the file is UTF-16 text (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" and import again",
            format!("这个文件是 UTF-16 文本（Excel 的“Unicode 文本”），不是 CSV。{SAVE_AS_UTF8}"),
        )
        .into());
    }
    if let Some(e) = crate::import::workbook_given_as_csv(head) {
        return Err(e.into());
    }
    match std::str::from_utf8(head) {
        Ok(_) => Ok(Encoding::Utf8),
        // Cut in the middle of a character by the sniff window: still UTF-8.
        Err(e) if e.error_len().is_none() && !complete => Ok(Encoding::Utf8),
        Err(_) => Ok(Encoding::Gb18030),
    }
}

/// The rows of a CSV file.
pub(crate) struct CsvRows<R: Read> {
    rdr: csv::Reader<Decoded<R>>,
}

impl<R: Read> CsvRows<R> {
    /// Reads a CSV file (encoding detected).
    pub(crate) fn new(input: R) -> Result<CsvRows<R>> {
        let decoded = Decoded::new(input)?;
        let rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(decoded);
        Ok(CsvRows { rdr })
    }

    /// The encoding found.
    pub(crate) fn encoding(&self) -> Encoding {
        self.rdr.get_ref().encoding()
    }
}

impl<R: Read> RowSource for CsvRows<R> {
    fn next_row(&mut self, rec: &mut csv::StringRecord) -> Result<Option<Row>> {
        match self.rdr.read_record(rec) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let line = rec.position().map(|p| p.line()).unwrap_or(0);
                let next = self.rdr.position().line();
                let last = next.saturating_sub(1).max(line);
                match self.rdr.get_mut().malformed_through(line, last) {
                    Some(byte) => Ok(Some(Row::Bad(BadRow::file(
                        line,
                        format!("byte {byte} is neither UTF-8 nor GB18030 text; save the file as \"CSV UTF-8\" and import again"),
                        format!("第 {byte} 字节既不是 UTF-8 也不是 GB18030 编码的文字。{SAVE_AS_UTF8}"),
                    )))),
                    None => Ok(Some(Row::Good { line })),
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => Ok(Some(Row::Bad(BadRow::file(
                        line,
                        "not valid UTF-8 text (save the file as UTF-8)",
                        format!("这一行不是 UTF-8 编码的文字，而文件开头是。{SAVE_AS_UTF8}"),
                    )))),
                    _ => Err(e.into()),
                }
            }
        }
    }

    fn consumed(&self) -> u64 {
        self.rdr.get_ref().consumed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (Encoding, String) {
        let mut d = Decoded::new(bytes).unwrap();
        let mut s = String::new();
        d.read_to_string(&mut s).unwrap();
        (d.encoding(), s)
    }

    #[test]
    fn utf8_and_gb18030_are_told_apart() {
        let text = "户号,姓名\nA1,范先翔\n".repeat(5000);
        assert_eq!(decode(text.as_bytes()), (Encoding::Utf8, text.clone()));
        let (gb, _, _) = GB18030.encode(&text);
        assert_eq!(decode(&gb), (Encoding::Gb18030, text));
    }

    #[test]
    fn a_byte_in_neither_encoding_is_a_bad_row_with_line_and_offset() {
        let (mut gb, _, _) = GB18030.encode("户号,姓名\nA1,范先翔\nA2,王\n");
        let gb = gb.to_mut();
        // Line 3 ("A2,王"): 0xff is never GB18030.
        let at = gb.len() - 1;
        gb.insert(at, 0xff);
        let mut rows = CsvRows::new(gb.as_slice()).unwrap();
        let mut rec = csv::StringRecord::new();
        let mut seen = Vec::new();
        while let Some(row) = rows.next_row(&mut rec).unwrap() {
            seen.push(match row {
                Row::Good { line } => format!("{line} ok"),
                Row::Bad(b) => format!("{} {}", b.line, b.reason),
            });
        }
        assert_eq!(seen[0], "1 ok");
        assert_eq!(seen[1], "2 ok");
        assert!(seen[2].starts_with(&format!("3 byte {at} ")), "{seen:?}");
    }

    #[test]
    fn utf16_is_refused_with_advice() {
        let Err(crate::StoreError::ImportFile(e)) = Decoded::new(&[0xff, 0xfe, b'a', 0][..]) else {
            panic!("UTF-16 accepted");
        };
        assert!(e.message.contains("CSV UTF-8"), "{e:?}");
    }
}
