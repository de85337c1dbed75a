//! The documentation generator behind `make docs` (binary `uccluster-docs`).
//!
//! From each provider type's schema (asked through the same `tf_provider` traits Terraform
//! uses), the examples in `examples/` and the templates in `templates/`, it renders Markdown
//! pages in the conventions of HashiCorp's tfplugindocs:
//!
//! - `docs/<type>/index.md`: the provider page, example `examples/provider/<type>/provider.tf`,
//!   template `templates/<type>/index.md.tmpl`;
//! - `docs/<type>/resources/<name>.md` (name without the `<type>_` prefix): one page per
//!   resource, example `examples/resources/<full type>/resource.tf`, import
//!   `examples/resources/<full type>/import.sh`, template
//!   `templates/<type>/resources/<name>.md.tmpl`;
//! - `docs/<type>/data-sources/<name>.md`: the same for each data source, example
//!   `examples/data-sources/<full type>/data-source.tf`, template
//!   `templates/<type>/data-sources/<name>.md.tmpl` (no import);
//! - `docs/README.md`: every provider type, resource and data source, with links.
//!
//! [`schema_markdown`] and [`pages`] are pure; [`render_docs`] is pure given a file reader;
//! only [`generate`], [`pending_changes`] and [`apply_changes`] touch the disk.

pub mod pages;
pub mod schema_markdown;

use anyhow::{anyhow, Context};
use pages::{page_path, render_index, render_page, IndexEntry, Page, PageKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tf_provider::schema::Schema;
use tf_provider::Diagnostics;

/// Directory the pages go to, relative to the repository root.
pub const DOCS_DIR: &str = "docs";

/// One provider type's schemas, as the provider reports them.
#[derive(Clone, Debug)]
pub struct ProviderSchemas {
    pub provider_type: String,
    pub provider: Schema,
    /// Full resource type name (`cms_xmpp_callbridge`) → schema, sorted.
    pub resources: BTreeMap<String, Schema>,
    /// Full data source type name (`lb_config`) → schema, sorted.
    pub data_sources: BTreeMap<String, Schema>,
}

fn diagnostics_error(what: &str, diags: &Diagnostics) -> anyhow::Error {
    let messages: Vec<String> = diags
        .errors
        .iter()
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect();
    anyhow!("{what}: {}", messages.join("; "))
}

/// Ask provider type `provider_type` for its schema and each resource's schema.
pub fn provider_schemas(provider_type: &str) -> anyhow::Result<ProviderSchemas> {
    let provider = crate::providers::provider_for(provider_type)
        .ok_or_else(|| anyhow!("unknown provider type {provider_type:?}"))?;
    let mut diags = Diagnostics::default();
    let schema = provider.schema(&mut diags);
    let schema = match schema {
        Some(s) if diags.errors.is_empty() => s,
        _ => {
            return Err(diagnostics_error(
                &format!("schema of provider {provider_type}"),
                &diags,
            ))
        }
    };
    let resources = match provider.get_resources(&mut diags) {
        Some(r) if diags.errors.is_empty() => r,
        _ => {
            return Err(diagnostics_error(
                &format!("resources of provider {provider_type}"),
                &diags,
            ))
        }
    };
    let mut schemas = BTreeMap::new();
    for (key, resource) in resources {
        let name = format!("{provider_type}_{key}");
        let schema = resource.schema(&mut diags);
        schemas.insert(name.clone(), checked(schema, &diags, "resource", &name)?);
    }
    let mut data_sources = BTreeMap::new();
    for (key, source) in provider.get_data_sources(&mut diags).unwrap_or_default() {
        let name = format!("{provider_type}_{key}");
        let schema = source.schema(&mut diags);
        data_sources.insert(name.clone(), checked(schema, &diags, "data source", &name)?);
    }
    Ok(ProviderSchemas {
        provider_type: provider_type.to_string(),
        provider: schema,
        resources: schemas,
        data_sources,
    })
}

fn checked(
    schema: Option<Schema>,
    diags: &Diagnostics,
    what: &str,
    name: &str,
) -> anyhow::Result<Schema> {
    match schema {
        Some(s) if diags.errors.is_empty() => Ok(s),
        _ => Err(diagnostics_error(
            &format!("schema of {what} {name}"),
            diags,
        )),
    }
}

/// Every page, keyed by its path relative to the repository root (`docs/cms/index.md`).
///
/// `read` returns the text of an input file (path relative to the repository root, with `/`
/// separators) or `None` when there is no such file.
pub fn render_docs(
    providers: &[ProviderSchemas],
    read: impl Fn(&str) -> anyhow::Result<Option<String>>,
) -> anyhow::Result<BTreeMap<PathBuf, String>> {
    let mut files = BTreeMap::new();
    let mut index = Vec::new();
    for p in providers {
        let t = p.provider_type.as_str();
        let example = read(&format!("examples/provider/{t}/provider.tf"))?;
        let template_path = format!("templates/{t}/index.md.tmpl");
        let template = read(&template_path)?;
        let page = Page {
            kind: PageKind::Provider,
            name: t,
            provider_type: t,
            schema: &p.provider.block,
            example: example.as_deref(),
            import: None,
            template: template.as_deref(),
        };
        let text = render_page(&page).with_context(|| format!("rendering {template_path}"))?;
        files.insert(PathBuf::from(format!("{DOCS_DIR}/{t}/index.md")), text);

        let resources = entity_pages(PageKind::Resource, t, &p.resources, &read, &mut files)?;
        let data_sources =
            entity_pages(PageKind::DataSource, t, &p.data_sources, &read, &mut files)?;
        index.push(IndexEntry {
            provider_type: t.to_string(),
            description: p.provider.block.description.content.clone(),
            resources,
            data_sources,
        });
    }
    files.insert(
        PathBuf::from(format!("{DOCS_DIR}/README.md")),
        render_index(&index),
    );
    Ok(files)
}

/// The pages of a provider type's resources or data sources (`kind`) into `files`; their names
/// and descriptions for the index.
fn entity_pages(
    kind: PageKind,
    t: &str,
    schemas: &BTreeMap<String, Schema>,
    read: &impl Fn(&str) -> anyhow::Result<Option<String>>,
    files: &mut BTreeMap<PathBuf, String>,
) -> anyhow::Result<Vec<(String, String)>> {
    let (dir, example_file) = kind.layout();
    let mut entries = Vec::new();
    for (name, schema) in schemas {
        let path = page_path(kind, t, name);
        let short = path
            .trim_start_matches(&format!("{t}/{dir}/"))
            .trim_end_matches(".md")
            .to_string();
        let example = read(&format!("examples/{dir}/{name}/{example_file}"))?;
        let import = match kind {
            PageKind::Resource => read(&format!("examples/{dir}/{name}/import.sh"))?,
            _ => None,
        };
        let template_path = format!("templates/{t}/{dir}/{short}.md.tmpl");
        let template = read(&template_path)?;
        let page = Page {
            kind,
            name,
            provider_type: t,
            schema: &schema.block,
            example: example.as_deref(),
            import: import.as_deref(),
            template: template.as_deref(),
        };
        let text = render_page(&page).with_context(|| format!("rendering {template_path}"))?;
        files.insert(PathBuf::from(format!("{DOCS_DIR}/{path}")), text);
        entries.push((name.clone(), schema.block.description.content.clone()));
    }
    Ok(entries)
}

/// Read `relative` under `root`; `None` when it does not exist.
fn read_input(root: &Path, relative: &str) -> anyhow::Result<Option<String>> {
    let path = root.join(relative);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context(format!("reading {}", path.display()))),
    }
}

/// Render every page of every provider type in [`crate::providers::PROVIDER_TYPES`], reading
/// examples and templates under `root`.
pub fn generate(root: &Path) -> anyhow::Result<BTreeMap<PathBuf, String>> {
    let providers = crate::providers::PROVIDER_TYPES
        .iter()
        .map(|t| provider_schemas(t))
        .collect::<anyhow::Result<Vec<_>>>()?;
    render_docs(&providers, |relative| read_input(root, relative))
}

/// How a file under `docs/` differs from what the generator renders.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Create(PathBuf),
    Update(PathBuf),
    /// A Markdown file under `docs/` the generator no longer renders.
    Remove(PathBuf),
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Create(p) => write!(f, "create {}", p.display()),
            Change::Update(p) => write!(f, "update {}", p.display()),
            Change::Remove(p) => write!(f, "remove {}", p.display()),
        }
    }
}

fn markdown_files_under(root: &Path, dir: &Path, found: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(root.join(dir)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("listing {}", dir.display()))),
    };
    for entry in entries {
        let entry = entry?;
        let relative = dir.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            markdown_files_under(root, &relative, found)?;
        } else if relative.extension().is_some_and(|e| e == "md") {
            found.push(relative);
        }
    }
    Ok(())
}

/// What writing `generated` under `root` would change, sorted by path.
pub fn pending_changes(
    root: &Path,
    generated: &BTreeMap<PathBuf, String>,
) -> anyhow::Result<Vec<Change>> {
    let mut changes = Vec::new();
    for (relative, text) in generated {
        match std::fs::read(root.join(relative)) {
            Ok(current) if current == text.as_bytes() => {}
            Ok(_) => changes.push(Change::Update(relative.clone())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                changes.push(Change::Create(relative.clone()))
            }
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("reading {}", relative.display())))
            }
        }
    }
    let mut existing = Vec::new();
    markdown_files_under(root, Path::new(DOCS_DIR), &mut existing)?;
    for relative in existing {
        if !generated.contains_key(&relative) {
            changes.push(Change::Remove(relative));
        }
    }
    changes.sort_by(|a, b| change_path(a).cmp(change_path(b)));
    Ok(changes)
}

fn change_path(change: &Change) -> &Path {
    match change {
        Change::Create(p) | Change::Update(p) | Change::Remove(p) => p,
    }
}

/// Carry out `changes` (from [`pending_changes`]) under `root`.
pub fn apply_changes(
    root: &Path,
    generated: &BTreeMap<PathBuf, String>,
    changes: &[Change],
) -> anyhow::Result<()> {
    for change in changes {
        match change {
            Change::Create(relative) | Change::Update(relative) => {
                let path = root.join(relative);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("creating {}", parent.display()))?;
                }
                std::fs::write(&path, &generated[relative])
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            Change::Remove(relative) => {
                let path = root.join(relative);
                std::fs::remove_file(&path)
                    .with_context(|| format!("removing {}", path.display()))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
