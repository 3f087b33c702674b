//! The printable permit: the boxes of the form on A4 and the QR code of the permit's reference,
//! which any node resolves (`/references?ref=`) and which ties the paper to the one credential
//! anchored in the issuer's log. Written in the standard 14 PDF fonts, so no font file ships.

use contracts::Permit;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::{Lang, Msg, code};

const A4: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 48.0;

/// Text in the fonts' WinAnsi encoding: Latin-1 and the usual typographic marks; anything else
/// becomes `?` (names in other scripts are on the credential itself).
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            'ƒ' => 0x83,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8a,
            '‹' => 0x8b,
            'Œ' => 0x8c,
            'Ž' => 0x8e,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9a,
            '›' => 0x9b,
            'œ' => 0x9c,
            'ž' => 0x9e,
            'Ÿ' => 0x9f,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            _ => b'?',
        })
        .collect()
}

/// Lines of at most `width` characters, broken at spaces (and inside words longer than a line,
/// such as a reference).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let chars: Vec<char> = text.chars().collect();
    let pieces = chars
        .split(|c| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .flat_map(|w| w.chunks(width.max(1)))
        .map(|w| w.iter().collect::<String>());
    for word in pieces {
        let word = word.as_str();
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The pages written so far and where the next line goes.
struct Doc {
    pages: Vec<Content>,
    y: f32,
}

impl Doc {
    fn new() -> Doc {
        Doc {
            pages: vec![Content::new()],
            y: A4.1 - MARGIN,
        }
    }

    fn content(&mut self) -> &mut Content {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Room for `height` more points on this page, or a new page (an annex of many blocks runs
    /// over).
    fn room(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.pages.push(Content::new());
            self.y = A4.1 - MARGIN;
        }
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        let y = self.y;
        let c = self.content();
        c.begin_text();
        c.set_font(Name(if bold { b"F2" } else { b"F1" }), size);
        c.next_line(x, y);
        c.show(Str(&win_ansi(text)));
        c.end_text();
    }

    /// A box of the form: its number and label, then its value, wrapped.
    fn field(&mut self, number: &str, label: &str, value: &str) {
        let lines = wrap(value, 85);
        self.room(16.0 + 13.0 * lines.len() as f32);
        self.text(MARGIN, 8.0, true, &format!("{number}  {label}"));
        self.y -= 12.0;
        for line in lines {
            self.text(MARGIN + 12.0, 10.0, false, &line);
            self.y -= 13.0;
        }
        self.y -= 4.0;
    }

    fn rule(&mut self) {
        self.room(10.0);
        let y = self.y + 8.0;
        let c = self.content();
        c.set_line_width(0.5);
        c.move_to(MARGIN, y);
        c.line_to(A4.0 - MARGIN, y);
        c.stroke();
        self.y -= 6.0;
    }

    /// The QR code of `data`, `size` points wide, at the left margin below the last line.
    fn qr(&mut self, data: &str, size: f32) {
        let Ok(code) = qrcode::QrCode::new(data.as_bytes()) else {
            return;
        };
        self.room(size + 8.0);
        let (n, top) = (code.width(), self.y);
        let module = size / n as f32;
        let c = self.content();
        c.set_fill_gray(0.0);
        for (i, dark) in code.to_colors().iter().enumerate() {
            if *dark == qrcode::Color::Dark {
                let (col, row) = ((i % n) as f32, (i / n) as f32);
                c.rect(
                    MARGIN + col * module,
                    top - (row + 1.0) * module,
                    module,
                    module,
                );
            }
        }
        c.fill_nonzero();
        self.y -= size + 12.0;
    }

    /// The PDF: one page object per page, two fonts shared.
    fn finish(self) -> Vec<u8> {
        let (catalog, tree, font, bold) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4));
        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        let ids: Vec<(Ref, Ref)> = (0..self.pages.len() as i32)
            .map(|i| (Ref::new(5 + 2 * i), Ref::new(6 + 2 * i)))
            .collect();
        pdf.pages(tree)
            .kids(ids.iter().map(|(page, _)| *page))
            .count(ids.len() as i32);
        for ((page_id, contents), content) in ids.iter().zip(self.pages) {
            let mut p = pdf.page(*page_id);
            p.media_box(Rect::new(0.0, 0.0, A4.0, A4.1));
            p.parent(tree);
            p.contents(*contents);
            p.resources()
                .fonts()
                .pair(Name(b"F1"), font)
                .pair(Name(b"F2"), bold);
            p.finish();
            pdf.stream(*contents, content.finish().as_slice());
        }
        for (id, name) in [(font, &b"Helvetica"[..]), (bold, &b"Helvetica-Bold"[..])] {
            pdf.type1_font(id)
                .base_font(Name(name))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        pdf.finish()
    }
}

fn party(p: &contracts::permit::TradeParty) -> String {
    format!("{}, {} ({})", p.name, p.address, p.country)
}

/// The permit as a PDF (one page, more for a long annex), labelled in `lang`, with `reference`
/// as its QR code.
pub fn permit_pdf(permit: &Permit, document: &str, reference: &str, lang: Lang) -> Vec<u8> {
    let t = |m: Msg| m.text(lang);
    let mut doc = Doc::new();
    let key = permit.key();
    doc.text(MARGIN, 9.0, true, "CITES");
    doc.y -= 20.0;
    doc.text(MARGIN, 16.0, true, &format!("{document}  {}", key.number));
    doc.y -= 26.0;
    doc.field(
        "2",
        t(Msg::ValidUntil),
        &permit.valid_until.format("%Y-%m-%d").to_string(),
    );
    doc.field("3", t(Msg::Importer), &party(&permit.importer));
    if let Some(e) = &permit.exporter {
        doc.field("4", t(Msg::Exporter), &party(e));
    }
    if !permit.special_conditions.is_empty() {
        let conditions: Vec<String> = permit
            .special_conditions
            .iter()
            .filter_map(|c| serde_json::to_value(c).ok())
            .map(|c| c["kind"].as_str().unwrap_or("").replace('_', " "))
            .collect();
        doc.field("5", t(Msg::SpecialConditions), &conditions.join("; "));
    }
    doc.field("5a", t(Msg::Purpose), &code(&permit.purpose));
    doc.field(
        "6",
        t(Msg::ManagementAuthority),
        &format!(
            "{}, {} ({})",
            permit.authority.name, permit.authority.address, permit.authority.country
        ),
    );
    doc.rule();
    for b in &permit.blocks {
        let line = format!(
            "{} · {} · {} {} {} · {} {} / {}",
            b.scientific_name,
            b.description,
            t(Msg::Quantity),
            b.quantity,
            code(&b.unit),
            t(Msg::AppendixSource),
            code(&b.appendix),
            code(&b.source),
        );
        doc.field(&format!("7-11  {}", b.id), t(Msg::Species), &line);
    }
    doc.rule();
    doc.field(
        "13",
        t(Msg::IssuedBy),
        &format!(
            "{}, {} · {}",
            permit.issued.place,
            permit.issued.date.format("%Y-%m-%d"),
            permit.issued.official
        ),
    );
    doc.y -= 8.0;
    doc.qr(reference, 120.0);
    doc.field(t(Msg::Reference), "", reference);
    doc.field("", "", t(Msg::PrintedNote));
    doc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_in_the_fonts_encoding() {
        assert_eq!(win_ansi("Réunion — 5 €"), b"R\xe9union \x97 5 \x80");
        assert_eq!(win_ansi("北京"), b"??");
    }

    #[test]
    fn long_values_wrap_at_spaces() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("", 6), [""]);
        assert_eq!(wrap("abcdefgh ij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(win_ansi("nœud"), b"n\x9cud");
    }

    #[test]
    fn a_one_page_pdf_with_the_permit_number() {
        let text = include_str!("../../../contracts/tests/fixtures/valid/export_permit.json");
        let permit: Permit = serde_json::from_str(text).unwrap();
        let pdf = permit_pdf(
            &permit,
            "Export permit",
            "CITES1:GH/GH2026000142:00:o:1",
            Lang::Fr,
        );
        assert!(pdf.starts_with(b"%PDF-"));
        let body = String::from_utf8_lossy(&pdf);
        assert!(body.contains("GH2026000142"), "the number is printed");
        assert!(body.contains("/Count 1"));
        let mut annex = permit.clone();
        annex.blocks = (0..60).map(|_| permit.blocks[0].clone()).collect();
        let long = permit_pdf(&annex, "Export permit", "CITES1:x", Lang::En);
        assert!(
            !String::from_utf8_lossy(&long).contains("/Count 1"),
            "an annex runs over"
        );
    }
}
