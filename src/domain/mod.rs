//! The domain: what a help desk's portal is made of (`model`), how it is configured (`settings`), and the
//! rules that decide what each customer sees (`rules`). Pure: no I/O, no async, no SQL; everything above
//! calls into it, and it knows nothing above it.

pub mod branding;
pub mod email;
pub mod i18n;
pub mod model;
pub mod passwords;
pub mod rules;
pub mod settings;
