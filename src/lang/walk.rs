//! Reads a syntax tree into a flat list of its nodes, in one pass written in C (`walk.c`) over
//! tree-sitter's own subtrees, for the declarations matcher (see `matcher`).
//!
//! Why not tree-sitter's `TreeCursor`: every step of it rebuilds its place from its stack (the
//! parent's alias sequence, visibility, the child's position) and reading a node's field walks
//! the stack again: about 800 instructions per node read, a quarter of what parsing the tree
//! cost, and on the request's path (2.5 M instructions per fresh 10 KB request, callgrind).
//! `walk.c` keeps that state as it goes down: about 300 instructions per node (1.0 M per such
//! request), most of its time spent loading each child from memory. The price is that it reads
//! tree-sitter's internal structures: build.rs compiles it against the headers of the
//! tree-sitter crate being linked, so they always match, and `lang::tests` compares its list
//! with a cursor walk ([`cursor_read`]), node by node, on every fixture, broken and spliced ones
//! included.

// The C walk and the nodes it makes are FFI: each unsafe block says what it relies on.
#![allow(unsafe_code)]

use std::marker::PhantomData;

use tree_sitter::{Node, ffi};

/// No node (the end of a list of children).
pub(super) const NONE: u32 = u32::MAX;

/// A node of the tree as the walk read it: its kind, the field it is in, whether it is named,
/// and links to its first child and next sibling (indices into the same list). The layout is
/// `PretenseNode` in `walk.c`.
#[repr(C)]
#[derive(Clone, Copy)]
pub(super) struct Visited<'t> {
    raw: ffi::TSNode,
    pub(super) first_child: u32,
    pub(super) next_sibling: u32,
    /// The C walk's own: the last child it linked.
    last_child: u32,
    pub(super) kind: u16,
    field: u16,
    pub(super) named: bool,
    /// Whether a named sibling follows it (what a `.` after the last child forbids); set by
    /// [`read`], after the walk.
    pub(super) later_named: bool,
    tree: PhantomData<&'t ()>,
}

impl<'t> Visited<'t> {
    pub(super) fn node(&self) -> Node<'t> {
        // SAFETY: `raw` is a node of the tree that `'t` borrows, made as `ts_node_new` makes it.
        unsafe { Node::from_raw(self.raw) }
    }

    /// The field the node is in, if any (tree-sitter's field ids start at 1).
    pub(super) fn field(&self) -> Option<u16> {
        (self.field != 0).then_some(self.field)
    }
}

unsafe extern "C" {
    fn pretense_read_tree(root: ffi::TSNode, out: *mut Visited<'_>, cap: usize) -> usize;
    fn pretense_node_size() -> usize;
}

/// Every node under `root` (itself first), in document order, as a `TreeCursor` visits them.
pub(super) fn read<'t>(root: Node<'t>) -> Vec<Visited<'t>> {
    // tree-sitter keeps the count: the list is allocated once, to its size.
    read_into(root, root.descendant_count())
}

/// [`read`], into a list of `cap` nodes first; if there are more, the C walk counts them and
/// the list is read again (the tests give it one too short).
pub(super) fn read_into<'t>(root: Node<'t>, mut cap: usize) -> Vec<Visited<'t>> {
    // SAFETY: a function of walk.c without arguments.
    debug_assert_eq!(unsafe { pretense_node_size() }, size_of::<Visited<'_>>());
    let mut nodes = loop {
        let mut nodes: Vec<Visited<'t>> = Vec::with_capacity(cap);
        // SAFETY: `root` is a live node of a tree that outlives `'t`; the walk writes at most
        // `cap` entries, each fully, into the list's spare capacity and returns how many there
        // are in all.
        let n = unsafe { pretense_read_tree(root.into_raw(), nodes.as_mut_ptr(), cap) };
        if n <= cap {
            // SAFETY: the walk initialised the first `n` entries.
            unsafe { nodes.set_len(n) };
            break nodes;
        }
        // Not expected (the count is the cursor's): read again into a list long enough.
        cap = n;
    };
    mark_later_named(&mut nodes);
    nodes
}

/// Sets `later_named` on every node: a node's next sibling comes later in the list, so one pass
/// from the end sees it first.
fn mark_later_named(nodes: &mut [Visited<'_>]) {
    for i in (0..nodes.len()).rev() {
        let next = nodes[i].next_sibling;
        nodes[i].later_named = next != NONE && {
            let n = &nodes[next as usize];
            n.named || n.later_named
        };
    }
}

/// The children of `parent`, by index.
pub(super) fn children<'a>(
    nodes: &'a [Visited<'_>],
    parent: u32,
) -> impl Iterator<Item = u32> + 'a {
    let first = nodes[parent as usize].first_child;
    std::iter::successors(Some(first).filter(|&i| i != NONE), move |&i| {
        Some(nodes[i as usize].next_sibling).filter(|&n| n != NONE)
    })
}

/// One node as a `TreeCursor` walk reads it, to compare with [`read`]'s: the node, its kind,
/// field and named flag, and the indices of its first child and next sibling.
#[cfg(test)]
pub(super) type Seen<'t> = (Node<'t>, u16, Option<u16>, bool, u32, u32);

/// What [`read`] gives, read with tree-sitter's `TreeCursor` instead: the reference the tests
/// hold the C walk to.
#[cfg(test)]
pub(super) fn cursor_read(root: Node<'_>) -> Vec<Seen<'_>> {
    fn seen<'t>(walk: &tree_sitter::TreeCursor<'t>) -> Seen<'t> {
        let node = walk.node();
        let field = walk.field_id().map(|f| f.get());
        (node, node.kind_id(), field, node.is_named(), NONE, NONE)
    }
    let mut nodes = vec![seen(&root.walk())];
    let mut walk = root.walk();
    let mut path: Vec<usize> = vec![0];
    'walk: while let Some(&current) = path.last() {
        if walk.goto_first_child() {
            nodes.push(seen(&walk));
            nodes[current].4 = (nodes.len() - 1) as u32;
            path.push(nodes.len() - 1);
            continue;
        }
        while let Some(current) = path.pop() {
            if walk.goto_next_sibling() {
                nodes.push(seen(&walk));
                nodes[current].5 = (nodes.len() - 1) as u32;
                path.push(nodes.len() - 1);
                continue 'walk;
            }
            if !walk.goto_parent() {
                break 'walk;
            }
        }
    }
    nodes
}

/// [`read`]'s list in [`cursor_read`]'s terms.
#[cfg(test)]
pub(super) fn as_seen<'t>(nodes: &[Visited<'t>]) -> Vec<Seen<'t>> {
    nodes
        .iter()
        .map(|v| {
            (
                v.node(),
                v.kind,
                v.field(),
                v.named,
                v.first_child,
                v.next_sibling,
            )
        })
        .collect()
}
