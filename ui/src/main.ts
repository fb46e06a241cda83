import { mount } from "svelte";
import "./app.css";
import "./lib/components/common/form.css";
import App from "./App.svelte";
import { applyTheme, cachedTheme } from "./lib/theme";

// Before the first paint, so the unlock screen does not flash in the wrong colours.
applyTheme(cachedTheme());

const target = document.getElementById("app");
if (target === null) throw new Error("index.html has no #app element");

export default mount(App, { target });
