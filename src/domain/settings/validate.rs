//! Validation of the settings against the workspace's data: every problem at once, each tied to its field.

use super::*;
use crate::domain::model::Catalog;

fn problem(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Why a host name is not acceptable as the portal's domain, if it is not.
pub fn domain_problem(domain: &str) -> Option<String> {
    let domain = domain.trim_end_matches('.');
    let lower = domain.to_ascii_lowercase();
    if domain.is_empty() {
        return Some("enter the host name the portal is published on".into());
    }
    if domain.len() > 253 {
        return Some("a host name has at most 253 characters".into());
    }
    let labels: Vec<&str> = lower.split('.').collect();
    if labels.len() < 2 {
        return Some(format!(
            "\"{domain}\" is not a full host name (e.g. support.example.com)"
        ));
    }
    for label in &labels {
        let valid = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !valid {
            return Some(format!("\"{domain}\" is not a valid host name"));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Some(format!("\"{domain}\" is an address, not a host name"));
    }
    if let Some(suffix) = SYSTEM_DOMAIN_SUFFIXES
        .iter()
        .find(|suffix| lower.ends_with(*suffix) || lower == suffix[1..])
    {
        return Some(format!(
            "the system domain (*{suffix}) cannot host the portal: connect your own domain"
        ));
    }
    None
}

fn is_valid_color(color: &str) -> bool {
    color.len() == 7 && color.starts_with('#') && color[1..].chars().all(|c| c.is_ascii_hexdigit())
}

fn is_valid_menu_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return url.len() > lower.find("//").unwrap_or(0) + 2;
    }
    // Relative URLs: no scheme at all (a colon before any slash would be one, e.g. javascript:).
    let before_slash = url.split('/').next().unwrap_or("");
    !url.is_empty() && !before_slash.contains(':') && !url.starts_with("//")
}

pub fn menu_url_problem(url: &str) -> Option<String> {
    (!is_valid_menu_url(url)).then(|| format!("\"{url}\" must be an http(s) or relative URL"))
}

/// The problems with an uploaded logo or favicon (`field`): its type and size.
pub fn image_problems(field: &str, image: &Image, problems: &mut Vec<FieldError>) {
    use base64::Engine;
    const ALLOWED: [&str; 5] = [
        "image/png",
        "image/svg+xml",
        "image/x-icon",
        "image/vnd.microsoft.icon",
        "image/ico",
    ];
    if !ALLOWED.contains(&image.content_type.as_str()) {
        problems.push(problem(
            field,
            format!(
                "{} is not allowed: upload a PNG, SVG or ICO image",
                image.content_type
            ),
        ));
    }
    match base64::engine::general_purpose::STANDARD.decode(&image.data_base64) {
        Ok(bytes) if bytes.len() > MAX_IMAGE_BYTES => problems.push(problem(
            field,
            format!(
                "the image has {} KB; the limit is {} KB",
                bytes.len() / 1024,
                MAX_IMAGE_BYTES / 1024
            ),
        )),
        Ok(_) => {}
        Err(_) => problems.push(problem(field, "the image data is not valid base64")),
    }
}

/// Every problem with these settings against this workspace's data. Empty means the settings can be saved.
/// The enable switch is checked here too: `enabled: true` needs a passing checklist.
pub fn validate(settings: &Settings, catalog: &Catalog) -> Vec<FieldError> {
    let mut problems = Vec::new();
    let title_length = settings.page_title.chars().count();
    if settings.page_title.trim().is_empty() || title_length > 120 {
        problems.push(problem(
            "page_title",
            format!("the page title needs 1 to 120 characters (it has {title_length})"),
        ));
    }
    let slug_valid = !settings.slug.is_empty()
        && settings.slug.len() <= 64
        && settings
            .slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug_valid {
        problems.push(problem(
            "slug",
            "the URL slug needs 1 to 64 lowercase letters, digits or '-'",
        ));
    }
    if let Some(domain) = &settings.domain {
        if let Some(message) = domain_problem(domain) {
            problems.push(problem("domain", message));
        }
    }
    if !SHIPPED_LANGUAGES.contains(&settings.language.as_str()) {
        problems.push(problem(
            "language",
            format!(
                "\"{}\" is not a shipped language ({})",
                settings.language,
                SHIPPED_LANGUAGES.join(", ")
            ),
        ));
    }
    // The default settings are `lists` with no list chosen (nobody gets in yet): that may be saved, but
    // the checklist fails, so such a portal cannot be enabled.
    if settings.enabled && settings.access.mode.uses_lists() && settings.access.lists.is_empty() {
        problems.push(problem(
            "access.lists",
            "choose at least one list whose contacts may use the portal",
        ));
    }
    for (index, list) in settings.access.lists.iter().enumerate() {
        if catalog.list(list).is_none() {
            problems.push(problem(
                format!("access.lists[{index}]"),
                format!("unknown list \"{list}\""),
            ));
        }
    }
    if settings.access.mode.uses_sso() && settings.sso.is_none() {
        problems.push(problem(
            "sso",
            "single sign-on access needs an SSO configuration",
        ));
    }
    if let Some(sso) = &settings.sso {
        sso_problems(sso, &mut problems);
    }
    if settings.access.mode == AccessMode::SelfRegistration {
        if settings.consent.notice.trim().is_empty() {
            problems.push(problem(
                "consent.notice",
                "self-registration needs a consent notice",
            ));
        }
        if settings.consent.checkbox_label.trim().is_empty() {
            problems.push(problem(
                "consent.checkbox_label",
                "self-registration needs a consent checkbox label",
            ));
        }
    }
    for (index, filter) in settings.ticket_filters.iter().enumerate() {
        filter_problems(index, filter, catalog, &mut problems);
    }
    for (index, rule) in settings.company_view_rules.iter().enumerate() {
        company_view_rule_problems(index, rule, catalog, &mut problems);
    }
    if let Some(inbox) = &settings.default_inbox {
        if catalog.inbox(inbox).is_none() {
            problems.push(problem(
                "default_inbox",
                format!("unknown inbox \"{inbox}\""),
            ));
        }
    }
    if let Some(support_form) = &settings.support_form {
        support_form_problems(support_form, catalog, &mut problems);
    }
    if let Some(menu) = &settings.navigation_menu {
        match catalog.menu(menu) {
            None => problems.push(problem(
                "navigation_menu",
                format!("unknown menu \"{menu}\""),
            )),
            Some(menu) => {
                for item in &menu.items {
                    if let Some(message) = menu_url_problem(&item.url) {
                        problems.push(problem("navigation_menu", message));
                    }
                }
            }
        }
    }
    if settings.knowledge_base_link && !catalog.has_published_article() {
        problems.push(problem(
            "knowledge_base_link",
            "the knowledge base has no published article yet",
        ));
    }
    if !is_valid_color(&settings.branding.primary_color) {
        problems.push(problem(
            "branding.primary_color",
            format!(
                "\"{}\" is not a colour of the form #rrggbb",
                settings.branding.primary_color
            ),
        ));
    }
    if !is_valid_color(&settings.branding.secondary_color) {
        problems.push(problem(
            "branding.secondary_color",
            format!(
                "\"{}\" is not a colour of the form #rrggbb",
                settings.branding.secondary_color
            ),
        ));
    }
    if settings.branding.font_family.len() > 200
        || settings
            .branding
            .font_family
            .chars()
            .any(|c| matches!(c, ';' | '{' | '}' | '<' | '>'))
    {
        problems.push(problem(
            "branding.font_family",
            "a font family is a list of font names separated by commas",
        ));
    }
    if let Some(logo) = &settings.branding.logo {
        image_problems("branding.logo", logo, &mut problems);
    }
    if let Some(favicon) = &settings.branding.favicon {
        image_problems("branding.favicon", favicon, &mut problems);
    }
    for name in settings.templates.keys() {
        if !TEMPLATE_NAMES.contains(&name.as_str()) {
            problems.push(problem(
                format!("templates.{name}"),
                format!(
                    "unknown template \"{name}\" (templates: {})",
                    TEMPLATE_NAMES.join(", ")
                ),
            ));
        }
    }
    let timeout = settings.idle_timeout_minutes;
    if timeout != 0 && !(5..=10080).contains(&timeout) {
        problems.push(problem(
            "idle_timeout_minutes",
            "the idle timeout is 5 to 10080 minutes, or 0 for never",
        ));
    }
    if settings.enabled {
        let failing: Vec<String> = checklist(settings, catalog)
            .into_iter()
            .filter(|item| !item.passed)
            .map(|item| item.message)
            .collect();
        if !failing.is_empty() {
            problems.push(problem(
                "enabled",
                format!(
                    "the portal cannot be enabled until the setup checklist passes: {}",
                    failing.join("; ")
                ),
            ));
        }
    }
    problems
}

fn sso_problems(sso: &SsoConfiguration, problems: &mut Vec<FieldError>) {
    match sso {
        SsoConfiguration::Jwt {
            algorithm,
            secret,
            public_key,
            issuer,
            audience,
            email_claim,
        } => {
            match algorithm {
                JwtAlgorithm::HS256 => {
                    if secret.as_deref().is_some_and(|secret| secret.len() < 16) {
                        problems.push(problem(
                            "sso.secret",
                            "an HS256 shared secret needs at least 16 characters",
                        ));
                    }
                }
                JwtAlgorithm::RS256 => {
                    let pem_ok = public_key.as_deref().is_some_and(|key| {
                        key.contains("-----BEGIN PUBLIC KEY-----")
                            || key.contains("-----BEGIN RSA PUBLIC KEY-----")
                    });
                    if !pem_ok {
                        problems.push(problem(
                            "sso.public_key",
                            "RS256 needs the identity provider's public key in PEM form",
                        ));
                    }
                }
            }
            if issuer.trim().is_empty() {
                problems.push(problem("sso.issuer", "enter the token issuer"));
            }
            if audience.trim().is_empty() {
                problems.push(problem("sso.audience", "enter the token audience"));
            }
            if email_claim.trim().is_empty() {
                problems.push(problem(
                    "sso.email_claim",
                    "enter the claim that holds the email address",
                ));
            }
        }
        SsoConfiguration::Saml {
            entity_id,
            sso_url,
            certificate,
        } => {
            if entity_id.trim().is_empty() {
                problems.push(problem(
                    "sso.entity_id",
                    "enter the identity provider's entity id",
                ));
            }
            if !sso_url.starts_with("https://") && !sso_url.starts_with("http://") {
                problems.push(problem("sso.sso_url", "the SSO URL must be an http(s) URL"));
            }
            if !certificate.contains("-----BEGIN CERTIFICATE-----") {
                problems.push(problem(
                    "sso.certificate",
                    "paste the identity provider's certificate in PEM form",
                ));
            }
        }
    }
}

/// A company view rule must name a known contact property (built in, or custom and present in the
/// workspace's contacts) and carry values exactly when its operator takes them.
fn company_view_rule_problems(
    index: usize,
    rule: &TicketFilter,
    catalog: &Catalog,
    problems: &mut Vec<FieldError>,
) {
    let field = format!("company_view_rules[{index}]");
    let property = rule.property.as_str();
    let known = BUILT_IN_CONTACT_PROPERTIES.contains(&property)
        || catalog
            .contact_properties
            .iter()
            .any(|name| name == property);
    if !known {
        problems.push(problem(
            format!("{field}.property"),
            format!("unknown contact property \"{property}\""),
        ));
    }
    operator_value_problems(&field, rule, problems);
}

/// Values exactly when the operator takes them.
fn operator_value_problems(field: &str, filter: &TicketFilter, problems: &mut Vec<FieldError>) {
    let takes_values = matches!(
        filter.operator,
        FilterOperator::IsAnyOf | FilterOperator::IsNoneOf
    );
    if takes_values && filter.values.is_empty() {
        problems.push(problem(
            format!("{field}.values"),
            "choose at least one value",
        ));
    }
    if !takes_values && !filter.values.is_empty() {
        problems.push(problem(
            format!("{field}.values"),
            "is known / is unknown take no values",
        ));
    }
}

fn filter_problems(
    index: usize,
    filter: &TicketFilter,
    catalog: &Catalog,
    problems: &mut Vec<FieldError>,
) {
    let field = format!("ticket_filters[{index}]");
    let property = filter.property.as_str();
    let known = BUILT_IN_TICKET_PROPERTIES.contains(&property)
        || catalog
            .custom_properties
            .iter()
            .any(|name| name == property);
    if !known {
        problems.push(problem(
            format!("{field}.property"),
            format!("unknown ticket property \"{property}\""),
        ));
    }
    operator_value_problems(&field, filter, problems);
    for (value_index, value) in filter.values.iter().enumerate() {
        let unknown = match property {
            "pipeline" => catalog.pipeline(value).is_none(),
            "stage" => catalog.any_stage(value).is_none(),
            _ => false,
        };
        if unknown {
            problems.push(problem(
                format!("{field}.values[{value_index}]"),
                format!("unknown {property} \"{value}\""),
            ));
        }
    }
}

fn support_form_problems(
    support_form: &SupportForm,
    catalog: &Catalog,
    problems: &mut Vec<FieldError>,
) {
    match catalog.form(&support_form.form) {
        None => problems.push(problem(
            "support_form.form",
            format!("unknown form \"{}\"", support_form.form),
        )),
        Some(form) => {
            if form.inbox.is_none() {
                problems.push(problem(
                    "support_form.form",
                    format!("form \"{}\" is not connected to an inbox", form.name),
                ));
            }
            let has_ticket_property = form
                .fields
                .iter()
                .any(|field| !field.ticket_property.is_empty());
            if !has_ticket_property {
                problems.push(problem(
                    "support_form.form",
                    format!("form \"{}\" has no ticket properties", form.name),
                ));
            }
        }
    }
    if support_form.link_text.trim().is_empty() {
        problems.push(problem(
            "support_form.link_text",
            "enter the text of the menu link",
        ));
    }
}
