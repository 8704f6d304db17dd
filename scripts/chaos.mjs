// `npm run chaos -- --members 5 --duration 300 --seed S`: one chaos run
// against a local cluster (see test/chaos/README.md). The runner is
// TypeScript compiled to dist/ by the npm script's build step.
import '../dist/test/chaos/runner/cli.js';
