//! Operations by method and path: a trie over path segments, `{id}` matching any one segment, so
//! finding a request's operation costs one step per segment whatever the size of the document.

use std::collections::HashMap;

use crate::operation::Method;

#[derive(Debug, Default)]
pub(crate) struct Routes {
    root: Node,
}

#[derive(Debug, Default)]
struct Node {
    fixed: HashMap<String, Node>,
    /// `{id}`: any one non-empty segment.
    param: Option<Box<Node>>,
    /// Operation indexes by method, when a path template ends here.
    operations: HashMap<Method, usize>,
}

/// What a path matched: the operations of its template, and the `{id}` it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<'a> {
    pub id: Option<&'a str>,
    pub(crate) operations: Vec<(Method, usize)>,
}

impl Routes {
    pub(crate) fn insert(&mut self, template: &str, method: Method, index: usize) {
        let mut node = &mut self.root;
        for segment in template.split('/').filter(|s| !s.is_empty()) {
            node = if segment.starts_with('{') {
                node.param.get_or_insert_with(Box::default)
            } else {
                node.fixed.entry(segment.to_owned()).or_default()
            };
        }
        node.operations.insert(method, index);
    }

    /// The template `path` matches, with its operations. Fixed segments win over `{id}`, as in
    /// Apple's routing (`/v1/apps/{id}` never shadows a fixed sibling).
    pub(crate) fn find<'p>(&self, path: &'p str) -> Option<Found<'p>> {
        let mut node = &self.root;
        let mut id = None;
        // `/v1/apps/` is not `/v1/apps`: an empty segment matches nothing (Apple answers 404).
        for segment in path.split('/').skip(1) {
            if segment.is_empty() {
                return None;
            }
            node = match node.fixed.get(segment) {
                Some(n) => n,
                None => {
                    id = Some(segment);
                    node.param.as_deref()?
                }
            };
        }
        if node.operations.is_empty() {
            return None;
        }
        let mut operations: Vec<(Method, usize)> = node.operations.iter().map(|(m, i)| (*m, *i)).collect();
        operations.sort();
        Some(Found { id, operations })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fixed_segments_win_and_ids_are_carried() {
        let mut routes = Routes::default();
        routes.insert("/v1/apps", Method::Get, 0);
        routes.insert("/v1/apps/{id}", Method::Get, 1);
        routes.insert("/v1/apps/{id}", Method::Patch, 2);
        routes.insert("/v1/apps/{id}/builds", Method::Get, 3);
        assert_eq!(routes.find("/v1/apps").unwrap().operations, vec![(Method::Get, 0)]);
        let found = routes.find("/v1/apps/123").unwrap();
        assert_eq!((found.id, found.operations.len()), (Some("123"), 2));
        assert_eq!(routes.find("/v1/apps/123/builds").unwrap().id, Some("123"));
        assert!(routes.find("/v1/apps/123/nothing").is_none());
        assert!(routes.find("/v1//builds").is_none());
        assert!(routes.find("/v1/apps/").is_none(), "a trailing slash is another path");
        assert!(routes.find("/v1").is_none(), "a prefix of a template is no route");
    }
}
