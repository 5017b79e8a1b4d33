//! Text from a workspace (names, subjects, reasons) made safe to print on a terminal: control characters
//! (escape sequences that would recolour, retitle or rewrite the terminal, and line breaks that would
//! break a table) and the bidirectional overrides that reorder what is shown are written as visible
//! escapes (`\x1b`, `\n`, `\u{202e}`). JSON output needs none of this: it carries the text as it is.

/// `text` with every control and bidi-override character written as an escape.
pub fn printable(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            '\u{0}'..='\u{1f}' | '\u{7f}' => {
                shown.push_str(&format!("\\x{:02x}", character as u32))
            }
            '\u{80}'..='\u{9f}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => shown.push_str(&format!("\\u{{{:x}}}", character as u32)),
            _ => shown.push(character),
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_are_shown_escaped_and_other_text_as_it_is() {
        assert_eq!(
            printable("\u{1b}]0;pwned\u{7}Printer\u{1b}[2J\nZürich \u{202e}fdp.exe"),
            "\\x1b]0;pwned\\x07Printer\\x1b[2J\\nZürich \\u{202e}fdp.exe"
        );
        assert_eq!(printable("Printer offline"), "Printer offline");
    }
}
