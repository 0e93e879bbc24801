// The console single page app (docs/console.md).
