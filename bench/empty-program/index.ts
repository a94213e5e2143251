// Declares nothing: `npm run bench` times the pulumi CLI, the language host and ts-node alone.
export {};
