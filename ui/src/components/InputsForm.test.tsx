import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { useState } from "react";
import { fieldsFor, initialValues, toFormData, validate, type FormValues } from "../lib/inputs";
import { InputsForm } from "./InputsForm";

afterEach(cleanup);

function Harness({ onValues }: { onValues: (v: FormValues) => void }) {
  const fields = fieldsFor([
    { id: "name", type: "STRING", description: "Who to greet", defaults: "World" },
    { id: "size", type: "INT" },
    { id: "loud", type: "BOOL" },
    { id: "color", type: "SELECT", values: ["red", "green"], defaults: "red" },
    { id: "upload", type: "FILE", required: false },
  ]);
  const [values, setValues] = useState(() => initialValues(fields));
  onValues(values);
  return <InputsForm fields={fields} values={values} errors={validate(fields, values)}
    onChange={(id, v) => setValues((old) => ({ ...old, [id]: v }))} />;
}

describe("InputsForm", () => {
  it("renders a labelled control per input and reports what the user typed", () => {
    let latest: FormValues = {};
    render(<Harness onValues={(v) => { latest = v; }} />);
    const name = screen.getByLabelText("name") as HTMLInputElement;
    expect(name.value).toBe("World");
    expect(name.getAttribute("aria-describedby")).toBe("help-name");
    expect(screen.getByText("Who to greet")).toBeTruthy();
    expect((screen.getByLabelText(/size/) as HTMLInputElement).type).toBe("number");
    expect(screen.getByRole("alert").textContent).toBe("size is required");

    fireEvent.change(name, { target: { value: "<img src=x onerror=alert(1)>" } });
    fireEvent.change(screen.getByLabelText(/size/), { target: { value: "5" } });
    fireEvent.click(screen.getByLabelText("loud"));
    fireEvent.change(screen.getByLabelText("color"), { target: { value: "green" } });
    const file = new File(["hello"], "hello.txt");
    fireEvent.change(screen.getByLabelText("upload"), { target: { files: [file] } });

    expect(screen.queryByRole("alert")).toBeNull();
    expect(latest).toMatchObject({ name: "<img src=x onerror=alert(1)>", size: "5", loud: true, color: "green", upload: file });
    const body = toFormData(fieldsFor([{ id: "name", type: "STRING" }]), latest);
    expect(body.get("name")).toBe("<img src=x onerror=alert(1)>");
  });

  it("says so when a flow takes no inputs", () => {
    render(<InputsForm fields={[]} values={{}} errors={{}} onChange={() => undefined} />);
    expect(screen.getByText("This flow takes no inputs.")).toBeTruthy();
  });
});
