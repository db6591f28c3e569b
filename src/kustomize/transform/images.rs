//! `images` (and the older `imageTags`): Kustomize's ImageTagTransformer. Each entry
//! changes the container images whose name it matches: their name (`newName`), tag
//! (`newTag`, `tagSuffix`) or digest (`digest`).
//!
//! As Kustomize v5.5 does, each entry runs two passes over every object but
//! CustomResourceDefinitions: first over the `image` of every item of every
//! `containers` or `initContainers` list, at any depth; then over its field specs
//! (`spec/containers[]/image`, `spec/initContainers[]/image` and the same under
//! `spec/template/spec`). An image the first pass changed is changed again by the
//! second when it still matches, so a `tagSuffix` is added twice there.

use regex_automata::meta::Regex;

use super::{FieldSpec, walk};
use crate::kustomize::fields::{self, FieldError};
use crate::kustomize::node::{Node, Scalar, Value};
use crate::kustomize::render::Resource;
use crate::origin::Origin;

const FIELDS: [&str; 5] = ["name", "newName", "tagSuffix", "newTag", "digest"];

const fn image_spec(path: &'static str) -> FieldSpec<'static> {
    FieldSpec {
        group: "",
        version: "",
        kind: "",
        path,
        create: true,
    }
}

/// The field specs of Kustomize's `images` configuration. They say `create`, but
/// the image filter creates nothing.
pub(crate) const FIELD_SPECS: [FieldSpec<'static>; 4] = [
    image_spec("spec/containers[]/image"),
    image_spec("spec/initContainers[]/image"),
    image_spec("spec/template/spec/containers[]/image"),
    image_spec("spec/template/spec/initContainers[]/image"),
];

/// One `images` entry.
#[derive(Debug)]
pub(crate) struct Image {
    /// Kustomize's match of an image value: `^NAME(:TAG)?(@sha256:DIGEST)?$`, where
    /// the name is itself a regular expression.
    pattern: Regex,
    new_name: String,
    new_tag: String,
    digest: String,
    tag_suffix: String,
    /// The entry: every image it changes points at it.
    at: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("unknown field `{field}` in an image: Kustomize v5 rejects it")]
    Unknown { at: Origin, field: String },
    #[error(
        "image name `{name}` is not a regular expression, which Kustomize cannot match: {reason}"
    )]
    BadName {
        at: Origin,
        name: String,
        reason: String,
    },
    #[error("an image that is not a string, which Kustomize refuses to change")]
    NotAString { at: Origin },
    #[error(
        "a `containers` or `initContainers` item that is not a mapping, which Kustomize refuses"
    )]
    NotAContainer { at: Origin },
}

impl ImageError {
    pub fn at(&self) -> Origin {
        match self {
            ImageError::Field(e) => e.at,
            ImageError::Unknown { at, .. }
            | ImageError::BadName { at, .. }
            | ImageError::NotAString { at }
            | ImageError::NotAContainer { at } => *at,
        }
    }
}

/// The entries of a kustomization's `images`, then of its `imageTags` (Kustomize
/// appends the older field to the newer).
pub(crate) fn read(kustomization: &Node) -> Result<Vec<Image>, ImageError> {
    let mut images = Vec::new();
    for field in ["images", "imageTags"] {
        let Some(list) = fields::get(kustomization, field) else {
            continue;
        };
        if list.is_null() {
            continue;
        }
        let Some(items) = list.as_seq() else {
            return Err(FieldError {
                at: list.at,
                field: field.to_owned(),
                expected: "a list of images",
            }
            .into());
        };
        for item in items {
            images.push(entry(item)?);
        }
    }
    Ok(images)
}

fn entry(item: &Node) -> Result<Image, ImageError> {
    // A null entry is an image with every field empty, as Go decodes it.
    if let Some(map) = fields::mapping(item, "images")?
        && let Some(unknown) = fields::unknown_key(map, &FIELDS)
    {
        return Err(ImageError::Unknown {
            at: unknown.key_at,
            field: unknown.key.to_string(),
        });
    }
    let text = |key: &str| -> Result<String, ImageError> {
        Ok(fields::string_entry(item, key)?
            .map(|(text, _)| text.to_owned())
            .unwrap_or_default())
    };
    let name = text("name")?;
    let pattern = Regex::new(&format!(
        "^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$"
    ))
    .map_err(|e| ImageError::BadName {
        at: fields::get(item, "name").map_or(item.at, |n| n.at),
        name: name.clone(),
        reason: e.to_string(),
    })?;
    Ok(Image {
        pattern,
        new_name: text("newName")?,
        new_tag: text("newTag")?,
        digest: text("digest")?,
        tag_suffix: text("tagSuffix")?,
        at: item.at,
    })
}

/// Applies one entry to every object, as its two passes do; the second pass follows
/// `configured` field specs (from `configurations`) instead of Kustomize's own.
pub(crate) fn apply(
    resources: &mut [Resource],
    image: &Image,
    configured: Option<&[FieldSpec<'_>]>,
) -> Result<(), ImageError> {
    let specs = configured.unwrap_or(&FIELD_SPECS);
    for resource in resources.iter_mut() {
        if resource.kind() == "CustomResourceDefinition" {
            continue;
        }
        containers_anywhere(&mut resource.node, image)?;
        let (api_version, kind) = (
            resource.api_version().to_owned(),
            resource.kind().to_owned(),
        );
        let mut failed = None;
        for spec in specs.iter().filter(|s| s.selects(&api_version, &kind)) {
            walk(
                &mut resource.node,
                spec.path,
                None,
                &mut |container, key| {
                    if let Some(value) = container.get_mut(key)
                        && let Err(e) = update(value, image)
                    {
                        failed.get_or_insert(e);
                    }
                },
            );
        }
        if let Some(e) = failed {
            return Err(e);
        }
    }
    Ok(())
}

/// The first pass: every `containers` and `initContainers` list under `node`, the
/// lists inside a value before the value itself.
fn containers_anywhere(node: &mut Node, image: &Image) -> Result<(), ImageError> {
    match &mut node.value {
        Value::Scalar(_) => Ok(()),
        Value::Seq(items) => items
            .iter_mut()
            .try_for_each(|item| containers_anywhere(item, image)),
        Value::Map(entries) => {
            for entry in entries {
                containers_anywhere(&mut entry.value, image)?;
                if !matches!(entry.key.as_str(), "containers" | "initContainers") {
                    continue;
                }
                let Some(items) = entry.value.as_seq_mut() else {
                    continue;
                };
                for item in items.iter_mut().filter(|item| !item.is_null()) {
                    if item.as_map().is_none() {
                        return Err(ImageError::NotAContainer { at: item.at });
                    }
                    if let Some(value) = item.get_mut("image") {
                        update(value, image)?;
                    }
                }
            }
            Ok(())
        }
    }
}

/// Changes one image value if the entry's name matches it.
fn update(value: &mut Node, image: &Image) -> Result<(), ImageError> {
    let text = match &value.value {
        Value::Scalar(scalar) => scalar.text.as_str(),
        _ => return Err(ImageError::NotAString { at: value.at }),
    };
    if !image.pattern.is_match(text) {
        return Ok(());
    }
    let (name, tag, digest) = split(text);
    let name = if image.new_name.is_empty() {
        name
    } else {
        &image.new_name
    };
    // A new tag or digest replaces both the tag and the digest.
    let (tag, digest) = match (image.new_tag.as_str(), image.digest.as_str()) {
        ("", "") if !image.tag_suffix.is_empty() => (format!("{tag}{}", image.tag_suffix), ""),
        ("", "") => (tag.to_owned(), digest),
        (new_tag, new_digest) => (new_tag.to_owned(), new_digest),
    };
    let mut changed = name.to_owned();
    if !tag.is_empty() {
        changed = format!("{changed}:{tag}");
    }
    if !digest.is_empty() {
        changed = format!("{changed}@{digest}");
    }
    *value = Node::new(Value::Scalar(Scalar::string(changed)), image.at);
    Ok(())
}

/// An image reference's name, tag and digest (`[host[:port]/]path[:tag][@digest]`),
/// split as Kustomize splits it: a `:` or `@` counts only after the first `/`.
fn split(image: &str) -> (&str, &str, &str) {
    let after = match image.find('/') {
        Some(slash) if slash > 0 => slash,
        _ => 0,
    };
    let search = &image[after..];
    let (at, colon) = (search.find('@'), search.find(':'));
    let digest_only = |at: usize| (&image[..after + at], "", &image[after + at + 1..]);
    match (at, colon) {
        (None, None) => (image, "", ""),
        (Some(at), None) => digest_only(at),
        (Some(at), Some(colon)) if at < colon => digest_only(at),
        (Some(at), Some(colon)) => (
            &image[..after + colon],
            &image[after + colon + 1..after + at],
            &image[after + at + 1..],
        ),
        (None, Some(colon)) => (&image[..after + colon], &image[after + colon + 1..], ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileId;
    use crate::kustomize::testing::parse;

    #[test]
    fn split_reads_a_port_as_part_of_the_name_and_a_digest_before_a_later_colon() {
        assert_eq!(split("nginx"), ("nginx", "", ""));
        assert_eq!(split("nginx:1.0"), ("nginx", "1.0", ""));
        assert_eq!(
            split("my.registry:5000/app:2"),
            ("my.registry:5000/app", "2", "")
        );
        assert_eq!(
            split("my.registry:5000/app"),
            ("my.registry:5000/app", "", "")
        );
        assert_eq!(split("redis@sha256:abc"), ("redis", "", "sha256:abc"));
        assert_eq!(
            split("r.io/redis:7@sha256:abc"),
            ("r.io/redis", "7", "sha256:abc")
        );
        // A leading `/` is not a registry's end.
        assert_eq!(split("/app:1"), ("/app", "1", ""));
    }

    fn image(entry: &str) -> Image {
        let kustomization = parse(&format!("images:\n- {entry}\n"), FileId(1));
        let mut images = read(&kustomization).expect("valid images");
        images.remove(0)
    }

    fn changed(entry: &str, value: &str) -> String {
        let mut node = Node::new(
            Value::Scalar(Scalar::plain(value)),
            Origin::new(FileId(2), crate::yaml::Span::default()),
        );
        update(&mut node, &image(entry)).expect("a string");
        node.as_scalar().expect("a scalar").text.to_string()
    }

    #[test]
    fn a_new_tag_or_digest_replaces_both_and_a_suffix_extends_the_tag() {
        assert_eq!(
            changed("{name: nginx, newTag: '2'}", "nginx:1@sha256:a"),
            "nginx:2"
        );
        assert_eq!(
            changed("{name: nginx, digest: sha256:b}", "nginx:1"),
            "nginx@sha256:b"
        );
        assert_eq!(
            changed("{name: nginx, newTag: '2', digest: sha256:b}", "nginx"),
            "nginx:2@sha256:b"
        );
        assert_eq!(
            changed("{name: nginx, tagSuffix: -x}", "nginx:1@sha256:a"),
            "nginx:1-x"
        );
        assert_eq!(
            changed("{name: nginx, newName: r.io/nginx}", "nginx:1"),
            "r.io/nginx:1"
        );
        // The name must match up to the tag: `nginx` is not `nginx-exporter`.
        assert_eq!(
            changed("{name: nginx, newTag: '2'}", "nginx-exporter:1"),
            "nginx-exporter:1"
        );
        assert_eq!(
            changed("{name: nginx, newTag: '2'}", "r.io/nginx:1"),
            "r.io/nginx:1"
        );
        // The name is a regular expression.
        assert_eq!(
            changed("{name: 'busy.*', newTag: '2'}", "busybox:1"),
            "busybox:2"
        );
    }

    #[test]
    fn bad_entries_are_errors_at_their_field() {
        let read_one = |text: &str| read(&parse(text, FileId(1)));
        let e = read_one("images:\n- name: a\n  newImage: b\n").unwrap_err();
        assert_eq!(e.at().span.start.line, 3);
        assert!(e.to_string().contains("unknown field `newImage`"), "{e}");
        let e = read_one("images:\n- name: a\n  newTag: 1.5\n").unwrap_err();
        assert_eq!((e.at().span.start.line, e.at().span.start.col), (3, 11));
        let e = read_one("images:\n- name: 'a('\n").unwrap_err();
        assert!(
            e.to_string().contains("`a(` is not a regular expression"),
            "{e}"
        );
        let images = read_one("imageTags:\n- name: b\nimages:\n- name: a\n").expect("valid");
        assert_eq!(
            images
                .iter()
                .map(|i| i.at.span.start.line)
                .collect::<Vec<_>>(),
            [4, 2]
        );
    }
}
