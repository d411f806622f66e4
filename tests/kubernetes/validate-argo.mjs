// Validates the Argo CD objects idp renders against the Argo CD CRD schemas, as packaged by
// @kubernetes-models/argo-cd (generated from Argo CD's own CRDs).
//
//   node tests/kubernetes/validate-argo.mjs FILE.json…
//
// Each file holds a JSON array of Kubernetes objects; objects of the argoproj.io group are
// validated (an argoproj.io kind without a schema here is a failure), the others are left to
// kubernetes-validate. Prints one line per failure and a summary; exits 1 on any failure.
import { readFileSync } from "node:fs";
import {
  AppProject,
  Application,
  ApplicationSet,
} from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";

const models = { AppProject, Application, ApplicationSet };
let checked = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  const objects = JSON.parse(readFileSync(file, "utf8"));
  for (const object of objects) {
    if (!String(object.apiVersion ?? "").startsWith("argoproj.io/")) continue;
    const label = `${file}: ${object.kind}/${object.metadata?.name}`;
    const Model = object.apiVersion === "argoproj.io/v1alpha1" ? models[object.kind] : undefined;
    checked += 1;
    if (!Model) {
      failed += 1;
      console.log(`FAIL ${label}: no Argo CD schema for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      failed += 1;
      console.log(`FAIL ${label}: ${error.message}`);
    }
  }
}
console.log(`argo-cd schemas: ${checked} object(s) checked, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
