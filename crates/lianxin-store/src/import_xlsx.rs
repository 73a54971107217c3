//! Excel workbooks (`.xlsx`, read with calamine): the first sheet, or the one named.
//! Each row becomes the same record a CSV line would, numbered by the spreadsheet's own
//! row number (what the clerk sees at the left of Excel), so a bad row is found at once.
//!
//! Cells become text the way the clerk sees them: whole numbers without `.0` (a phone
//! number or household code typed as a number), dates (date-formatted cells) as
//! `YYYY-MM-DD`; a plain number in the date-of-birth column is read as Excel's serial
//! day by [`parse_dob`](crate::import_values::parse_dob). A cell holding a formula error
//! (`#N/A`, `#REF!` …) makes its row bad.

use std::io::{Read, Seek, SeekFrom};

use calamine::{Data, Reader, Xlsx};

use crate::import::{BadRow, ImportFileError, Row, RowSource};
use crate::Result;

/// The rows of one worksheet, read at once (a register is small next to memory; calamine
/// needs the whole zip anyway).
pub(crate) struct XlsxRows {
    rows: std::vec::IntoIter<(u64, std::result::Result<Vec<String>, BadRow>)>,
    read: u64,
    total: u64,
    size: u64,
}

impl XlsxRows {
    /// Opens `sheet` (else the first) of the workbook in `input`.
    pub(crate) fn new<R: Read + Seek>(mut input: R, sheet: Option<&str>) -> Result<XlsxRows> {
        let size = input.seek(SeekFrom::End(0))?;
        input.seek(SeekFrom::Start(0))?;
        let mut book: Xlsx<R> = Xlsx::new(input).map_err(|e| {
            ImportFileError::new(
                "file",
                format!("not a readable .xlsx workbook ({e})"),
                "无法读取这个 Excel 文件（.xlsx）；请在 Excel 中打开并重新保存为“Excel 工作簿”后再导入",
            )
        })?;
        let names = book.sheet_names();
        let name = match sheet {
            Some(s) => names
                .iter()
                .find(|n| n.as_str() == s)
                .cloned()
                .ok_or_else(|| {
                    ImportFileError::new(
                        "sheet",
                        format!(
                            "the workbook has no sheet {s:?} (it has: {})",
                            names.join(", ")
                        ),
                        format!("工作簿里没有名为“{s}”的工作表（有：{}）", names.join("、")),
                    )
                })?,
            None => names.first().cloned().ok_or_else(|| {
                ImportFileError::new("file", "the workbook has no sheet", "工作簿里没有工作表")
            })?,
        };
        let range = book.worksheet_range(&name).map_err(|e| {
            ImportFileError::new(
                "file",
                format!("cannot read sheet {name:?} ({e})"),
                format!("无法读取工作表“{name}”"),
            )
        })?;
        let first_row = range.start().map(|(r, _)| u64::from(r)).unwrap_or(0);
        let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
        let mut rows = Vec::new();
        for (i, cells) in range.rows().enumerate() {
            let line = first_row + i as u64 + 1;
            // Columns left of the used range are empty: keep positions as in the sheet.
            let mut out = vec![String::new(); first_col];
            let mut bad = None;
            for (j, cell) in cells.iter().enumerate() {
                match text(cell) {
                    Ok(t) => out.push(t),
                    Err(err) => {
                        out.push(String::new());
                        if bad.is_none() {
                            let at = format!("{}{line}", column_letters(first_col + j));
                            bad = Some(BadRow::file(
                                line,
                                format!("cell {at} holds the formula error {err}"),
                                format!("单元格 {at} 是公式错误 {err}，请改成数值或文字"),
                            ));
                        }
                    }
                }
            }
            rows.push((line, bad.map_or(Ok(out), Err)));
        }
        Ok(XlsxRows {
            total: rows.len() as u64,
            rows: rows.into_iter(),
            read: 0,
            size,
        })
    }
}

impl RowSource for XlsxRows {
    fn next_row(&mut self, rec: &mut csv::StringRecord) -> Result<Option<Row>> {
        let Some((line, row)) = self.rows.next() else {
            return Ok(None);
        };
        self.read += 1;
        rec.clear();
        match row {
            Ok(cells) => {
                for c in &cells {
                    rec.push_field(c);
                }
                Ok(Some(Row::Good { line }))
            }
            Err(bad) => Ok(Some(Row::Bad(bad))),
        }
    }

    /// The share of the file's bytes that the rows read so far stand for.
    fn consumed(&self) -> u64 {
        match self.total {
            0 => self.size,
            n => self.size * self.read / n,
        }
    }
}

/// A cell as text; `Err` with the error's name for a formula error.
fn text(cell: &Data) -> std::result::Result<String, String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if d.is_datetime() => t.date().format("%Y-%m-%d").to_string(),
            _ => number(d.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(e.to_string()),
    })
}

/// A number as typed: whole numbers without a fraction (13912345678, not 13912345678.0).
fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// Excel's column letters for a 0-based column (0 → A, 26 → AA).
fn column_letters(mut col: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_typed() {
        assert_eq!(number(13912345678.0), "13912345678");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
    }
}
