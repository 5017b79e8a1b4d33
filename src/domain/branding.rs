//! Branding checks for the designer: WCAG 2.x contrast of the colour pairs the theme uses for text, and
//! the logo/favicon upload check (the same rules `settings::validate` applies on save).

use crate::domain::settings::{Branding, Image};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// WCAG 2.x AA minimum contrast for normal-size text.
pub const AA_TEXT: f64 = 4.5;

/// A colour pair whose contrast is below AA for text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ContrastWarning {
    /// The settings field the warning belongs to, e.g. `branding.primary_color`.
    pub field: String,
    pub foreground: String,
    pub background: String,
    /// Rounded to two decimals.
    pub ratio: f64,
    pub message: String,
}

/// `#rgb` or `#rrggbb` as 0-255 channels.
pub fn parse_hex(colour: &str) -> Option<[u8; 3]> {
    let hex = colour.trim().strip_prefix('#')?;
    let expanded: String = match hex.len() {
        3 => hex.chars().flat_map(|c| [c, c]).collect(),
        6 => hex.to_string(),
        _ => return None,
    };
    let channel = |at: usize| u8::from_str_radix(expanded.get(at..at + 2)?, 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// WCAG 2.x relative luminance.
fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let linear = |channel: u8| {
        let c = f64::from(channel) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// The WCAG 2.x contrast ratio of two colours (1.0 to 21.0); `None` when either is not a hex colour.
pub fn contrast_ratio(foreground: &str, background: &str) -> Option<f64> {
    let (a, b) = (
        luminance(parse_hex(foreground)?),
        luminance(parse_hex(background)?),
    );
    let (light, dark) = if a > b { (a, b) } else { (b, a) };
    Some((light + 0.05) / (dark + 0.05))
}

/// Whether the pair passes AA for normal text.
pub fn passes_aa(foreground: &str, background: &str) -> Option<bool> {
    contrast_ratio(foreground, background).map(|ratio| ratio >= AA_TEXT)
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The pairs the shipped theme draws text with: links and buttons in the primary colour (white text on
/// primary buttons, primary links on the white page) and the header in the secondary colour on white.
pub fn contrast_warnings(branding: &Branding) -> Vec<ContrastWarning> {
    let pairs = [
        (
            "branding.primary_color",
            "#ffffff",
            branding.primary_color.as_str(),
            "white button text on the primary colour",
        ),
        (
            "branding.primary_color",
            branding.primary_color.as_str(),
            "#ffffff",
            "primary-colour links on the white page",
        ),
        (
            "branding.secondary_color",
            branding.secondary_color.as_str(),
            "#ffffff",
            "secondary-colour header text on white",
        ),
    ];
    let mut warnings: Vec<ContrastWarning> = Vec::new();
    for (field, foreground, background, what) in pairs {
        let Some(ratio) = contrast_ratio(foreground, background) else {
            continue;
        };
        if ratio >= AA_TEXT || warnings.iter().any(|w| w.field == field) {
            continue;
        }
        warnings.push(ContrastWarning {
            field: field.into(),
            foreground: foreground.into(),
            background: background.into(),
            ratio: round2(ratio),
            message: format!(
                "Contrast {:.2}:1 for {what} fails WCAG AA for text (needs {AA_TEXT}:1)",
                ratio
            ),
        });
    }
    warnings
}

/// The problems with an uploaded logo or favicon (type and size), by the same rules as saving settings.
pub fn image_problems(field: &str, image: &Image) -> Vec<String> {
    let mut problems = Vec::new();
    crate::domain::settings::image_problems(field, image, &mut problems);
    problems
        .into_iter()
        .map(|problem| problem.message)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_pairs() {
        assert_eq!(round2(contrast_ratio("#000000", "#ffffff").unwrap()), 21.0);
        let grey = contrast_ratio("#777777", "#fff").unwrap();
        assert!((grey - 4.48).abs() < 0.01, "{grey}");
        assert_eq!(passes_aa("#777777", "#ffffff"), Some(false));
        assert_eq!(passes_aa("#767676", "#ffffff"), Some(true));
        assert_eq!(contrast_ratio("red", "#fff"), None);
    }
}
