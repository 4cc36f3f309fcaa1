/*
 * Reads a tree-sitter syntax tree into a flat list of its nodes in one pass over the parser's
 * own subtrees: the nodes a `TSTreeCursor` visits, in the same order, with the same kind,
 * field, named flag and `TSNode`. Used by `lang::walk` (see there for why).
 *
 * It mirrors `tree_cursor.c` of the tree-sitter it is compiled with: build.rs takes the
 * headers from that crate's sources, so the structures always match the linked library, and
 * `lang::walk`'s tests compare both walks, node by node, on every fixture, broken ones
 * included. What it relies on:
 *   - a node is visible if its subtree is, or if its parent's production aliases it (extras
 *     are never aliased); a hidden node is walked through, its visible nodes become the
 *     children of its nearest visible ancestor (`ts_tree_cursor_goto_first_child`);
 *   - a node's field is the first non-inherited entry of its parent's field map for its
 *     structural index; a hidden parent passes on its own field to a child that has none of
 *     its own there; an extra has none (`ts_tree_cursor_current_field_id`);
 *   - positions advance by each child's size and the next child's padding
 *     (`ts_tree_cursor_child_iterator_next`).
 */

#include <stdint.h>
#include <stdlib.h>

#include "tree_sitter/api.h"
#include "alloc.h"
#include "language.h"
#include "subtree.h"
#include "tree.h"

#define NONE UINT32_MAX

/* One node as `lang::walk::Visited` declares it (`#[repr(C)]`). */
typedef struct {
  TSNode node;
  uint32_t first_child;
  uint32_t next_sibling;
  /* The last child linked so far. */
  uint32_t last_child;
  uint16_t kind;
  uint16_t field;
  bool named;
  /* Set by the Rust side. */
  bool later_named;
} PretenseNode;

/* For the Rust side to check that both agree on the layout. */
size_t pretense_node_size(void) { return sizeof(PretenseNode); }

/* The children of one subtree being read. */
typedef struct {
  const Subtree *children;
  uint32_t count;
  uint32_t index;
  uint32_t structural;
  /* Where the next child starts (after its padding). */
  Length position;
  const TSSymbol *aliases;
  const TSFieldMapEntry *fields;
  const TSFieldMapEntry *fields_end;
  /* The visible node these children belong to. */
  uint32_t parent;
  /* This subtree's own field when it is hidden (0 when it is visible). */
  uint16_t inherited;
} Frame;

static Frame frame_for(const TSLanguage *language, Subtree subtree, Length start,
                       uint32_t parent, uint16_t inherited) {
  Frame frame = {
    .children = ts_subtree_children(subtree),
    .count = subtree.ptr->child_count,
    .index = 0,
    .structural = 0,
    .position = start,
    .aliases = ts_language_alias_sequence(language, subtree.ptr->production_id),
    .parent = parent,
    .inherited = inherited,
  };
  ts_language_field_map(language, subtree.ptr->production_id, &frame.fields, &frame.fields_end);
  return frame;
}

static uint16_t field_at(const Frame *frame, uint32_t structural) {
  for (const TSFieldMapEntry *map = frame->fields; map < frame->fields_end; map++) {
    if (!map->inherited && map->child_index == structural) return map->field_id;
  }
  return frame->inherited;
}

/*
 * Writes the nodes under `root` (itself first, in document order) into `out`, at most `cap`
 * of them, and returns how many there are: the caller reads them again into a longer list if
 * that is more than `cap`. Allocates through tree-sitter's allocator (mimalloc, see `alloc`);
 * aborts if memory runs out, as Rust's allocator does.
 */
size_t pretense_read_tree(TSNode root, PretenseNode *out, size_t cap) {
  const TSTree *tree = root.tree;
  const TSLanguage *language = tree->language;
  size_t n = 0;
  if (cap > 0) {
    out[0] = (PretenseNode) {
      .node = root,
      .first_child = NONE,
      .next_sibling = NONE,
      .last_child = NONE,
      .kind = ts_node_symbol(root),
      .field = 0,
      .named = ts_node_is_named(root),
      .later_named = false,
    };
  }
  n = 1;
  Subtree top = *(const Subtree *)root.id;
  if (ts_subtree_child_count(top) == 0) return n;

  size_t depth = 0, room = 64;
  Frame *stack = ts_malloc(room * sizeof(Frame));
  if (!stack) abort();
  Length start = {root.context[0], {root.context[1], root.context[2]}};
  stack[depth++] = frame_for(language, top, start, 0, 0);

  while (depth > 0) {
    Frame *frame = &stack[depth - 1];
    if (frame->index == frame->count) {
      depth--;
      continue;
    }
    const Subtree *child = &frame->children[frame->index];
    Length at = frame->position;
    bool extra = ts_subtree_extra(*child);
    TSSymbol alias = 0;
    uint16_t field = 0;
    if (!extra) {
      if (frame->aliases) alias = frame->aliases[frame->structural];
      field = field_at(frame, frame->structural);
      frame->structural++;
    }
    frame->index++;
    frame->position = length_add(at, ts_subtree_size(*child));
    if (frame->index < frame->count) {
      frame->position =
        length_add(frame->position, ts_subtree_padding(frame->children[frame->index]));
    }
    uint32_t parent = frame->parent;

    /* The children to read next, if any: this child's own (hidden ones are read through). */
    uint32_t next_parent = parent;
    uint16_t next_inherited = field;
    bool descend;
    if (ts_subtree_visible(*child) || alias) {
      uint32_t i = (uint32_t)n++;
      if (i < cap) {
        TSSymbol symbol = alias ? alias : ts_subtree_symbol(*child);
        out[i] = (PretenseNode) {
          .node = ts_node_new(tree, child, at, alias),
          .first_child = NONE,
          .next_sibling = NONE,
          .last_child = NONE,
          .kind = ts_language_public_symbol(language, symbol),
          .field = field,
          .named = alias ? ts_language_symbol_metadata(language, alias).named
                         : ts_subtree_named(*child),
          .later_named = false,
        };
        PretenseNode *p = &out[parent];
        if (p->last_child == NONE) {
          p->first_child = i;
        } else {
          out[p->last_child].next_sibling = i;
        }
        p->last_child = i;
      }
      descend = ts_subtree_child_count(*child) > 0;
      next_parent = i;
      next_inherited = 0;
    } else {
      descend = ts_subtree_visible_child_count(*child) > 0;
    }
    if (descend) {
      if (depth == room) {
        room *= 2;
        Frame *grown = ts_realloc(stack, room * sizeof(Frame));
        if (!grown) abort();
        stack = grown;
      }
      stack[depth++] = frame_for(language, *child, at, next_parent, next_inherited);
    }
  }
  ts_free(stack);
  return n;
}
