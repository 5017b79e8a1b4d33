//! The customer portal without HTTP: what each page shows (`pages`) and how it renders (`render`, the
//! minijinja templates and theme). The web server and the designer's preview both draw with it, so a
//! preview is the page a customer gets.

pub mod encode;
pub mod pages;
pub mod render;
pub mod sandbox;

pub use render::{
    check_templates, shipped_template, AssetMode, Frame, Page, PageKind, Renderer, TemplateProblem,
    Viewer,
};
