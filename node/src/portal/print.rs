//! The printable permit: one A4 page with every box and the QR code of the permit's reference,
//! which any node resolves (`/references?ref=`) and which ties the paper to the one credential
//! anchored in the issuer's log. Written in the standard 14 PDF fonts, so no font file ships.

use contracts::Permit;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::{Lang, Msg};

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

struct Page {
    content: Content,
    y: f32,
}

impl Page {
    fn text(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        self.content.begin_text();
        self.content
            .set_font(Name(if bold { b"F2" } else { b"F1" }), size);
        self.content.next_line(x, self.y);
        self.content.show(Str(&win_ansi(text)));
        self.content.end_text();
    }

    /// A box of the form: its number and label, then its value, wrapped.
    fn field(&mut self, number: &str, label: &str, value: &str) {
        self.text(MARGIN, 8.0, true, &format!("{number}  {label}"));
        self.y -= 12.0;
        for line in wrap(value, 85) {
            self.text(MARGIN + 12.0, 10.0, false, &line);
            self.y -= 13.0;
        }
        self.y -= 4.0;
    }

    fn rule(&mut self) {
        self.content.set_line_width(0.5);
        self.content.move_to(MARGIN, self.y + 8.0);
        self.content.line_to(A4.0 - MARGIN, self.y + 8.0);
        self.content.stroke();
        self.y -= 6.0;
    }

    /// The QR code of `data`, `size` points wide, its top-left corner at (`x`, `top`).
    fn qr(&mut self, data: &str, x: f32, top: f32, size: f32) {
        let Ok(code) = qrcode::QrCode::new(data.as_bytes()) else {
            return;
        };
        let n = code.width();
        let module = size / n as f32;
        self.content.set_fill_gray(0.0);
        for (i, dark) in code.to_colors().iter().enumerate() {
            if *dark == qrcode::Color::Dark {
                let (col, row) = ((i % n) as f32, (i / n) as f32);
                self.content
                    .rect(x + col * module, top - (row + 1.0) * module, module, module);
            }
        }
        self.content.fill_nonzero();
    }
}

fn party(p: &contracts::permit::TradeParty) -> String {
    format!("{}, {} ({})", p.name, p.address, p.country)
}

/// The permit as a one-page PDF, labelled in `lang`, with `reference` as its QR code.
pub fn permit_pdf(permit: &Permit, document: &str, reference: &str, lang: Lang) -> Vec<u8> {
    let t = |m: Msg| m.text(lang);
    let mut page = Page {
        content: Content::new(),
        y: A4.1 - MARGIN - 14.0,
    };
    let key = permit.key();
    page.text(MARGIN, 9.0, true, "CITES");
    page.y -= 20.0;
    page.text(MARGIN, 16.0, true, &format!("{document}  {}", key.number));
    page.y -= 26.0;
    let qr_size = 120.0;
    page.qr(reference, A4.0 - MARGIN - qr_size, A4.1 - MARGIN, qr_size);
    page.field(
        "2",
        t(Msg::ValidUntil),
        &permit.valid_until.format("%Y-%m-%d").to_string(),
    );
    page.field("3", t(Msg::Importer), &party(&permit.importer));
    if let Some(e) = &permit.exporter {
        page.field("4", t(Msg::Exporter), &party(e));
    }
    if !permit.special_conditions.is_empty() {
        let conditions: Vec<String> = permit
            .special_conditions
            .iter()
            .filter_map(|c| serde_json::to_value(c).ok())
            .map(|c| c["kind"].as_str().unwrap_or("").replace('_', " "))
            .collect();
        page.field("5", "", &conditions.join("; "));
    }
    page.field("5a", t(Msg::Purpose), &code(&permit.purpose));
    page.field(
        "6",
        "Management Authority",
        &format!(
            "{}, {} ({})",
            permit.authority.name, permit.authority.address, permit.authority.country
        ),
    );
    page.rule();
    for b in &permit.blocks {
        let line = format!(
            "{} · {} · {} {} · {} {} / {}",
            b.scientific_name,
            b.description,
            t(Msg::Quantity),
            b.quantity,
            t(Msg::AppendixSource),
            code(&b.appendix),
            code(&b.source),
        );
        page.field(&format!("7-11  {}", b.id), t(Msg::Species), &line);
    }
    page.rule();
    page.field(
        "13",
        t(Msg::IssuedBy),
        &format!(
            "{}, {} · {}",
            permit.issued.place,
            permit.issued.date.format("%Y-%m-%d"),
            permit.issued.official
        ),
    );
    page.y -= 8.0;
    page.field(t(Msg::Reference), "", reference);
    page.field("", "", t(Msg::PrintedNote));

    let (catalog, tree, page_id, font, bold, contents) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
    );
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page_id]).count(1);
    let mut p = pdf.page(page_id);
    p.media_box(Rect::new(0.0, 0.0, A4.0, A4.1));
    p.parent(tree);
    p.contents(contents);
    p.resources()
        .fonts()
        .pair(Name(b"F1"), font)
        .pair(Name(b"F2"), bold);
    p.finish();
    for (id, name) in [(font, &b"Helvetica"[..]), (bold, &b"Helvetica-Bold"[..])] {
        pdf.type1_font(id)
            .base_font(Name(name))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let stream = page.content.finish();
    pdf.stream(contents, stream.as_slice());
    pdf.finish()
}

/// The code a field has in the canonical JSON (`II`, `W`, `T`).
fn code<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
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
    }
}
