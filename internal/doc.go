// Package internal holds the building blocks that Baton's public packages
// share and that hosts never import: the compiled activity graph (dag), the
// expression language (expr), the CPU-time reader the benchmarks use
// (cputime), the cursors of the stores' link queries (linkcursor), and the
// signals of the stores' feed subscribers (feedsignal).
package internal
