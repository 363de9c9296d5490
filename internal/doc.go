// Package internal holds the building blocks that Baton's public packages
// share and that hosts never import: the compiled activity graph (dag) and
// the expression language (expr).
package internal
