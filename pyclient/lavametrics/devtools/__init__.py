"""Tools for a checkout, not for a bot: node runner, demo, loadtest, voice simulator, local stack, benchmarks."""
