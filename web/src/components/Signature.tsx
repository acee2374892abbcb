// A signature drawn with a finger (signature_pad), sent as a PNG with the approval or the close.
import SignaturePad from "signature_pad";
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorText } from "./ui";

export interface SignatureHandle {
  png(): string | null; // base64 without the data: prefix, or null when nothing is drawn
}

export function SignatureField({ handle, error, onDrawn, id = "sig", label = "Signature" }: {
  handle: { current: SignatureHandle | null }; error?: string | undefined; onDrawn?: () => void;
  id?: string; label?: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [empty, setEmpty] = useState(true);
  useEffect(() => {
    const element = canvas.current!;
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    element.width = element.offsetWidth * ratio;
    element.height = element.offsetHeight * ratio;
    element.getContext("2d")!.scale(ratio, ratio);
    const pad = new SignaturePad(element, { penColor: "#111", minWidth: 1.2, maxWidth: 3 });
    pad.addEventListener("endStroke", () => { setEmpty(pad.isEmpty()); onDrawn?.(); });
    handle.current = {
      png: () => (pad.isEmpty() ? null : pad.toDataURL("image/png").split(",")[1] ?? null),
    };
    (element as HTMLCanvasElement & { clearPad?: () => void }).clearPad = () => { pad.clear(); setEmpty(true); };
    return () => pad.off();
  }, []);
  return (
    <div class={`field signature${error ? " has-error" : ""}`}>
      <p class="label" id={`${id}-label`}>{label} <span class="req" aria-hidden="true">*</span></p>
      <p class="help" id={`${id}-help`}>Sign with your finger in the box.</p>
      <canvas ref={canvas} class="signature-pad" data-testid="signature-pad" role="img"
        aria-labelledby={`${id}-label`} aria-describedby={`${id}-help`} />
      <button type="button" class="link" disabled={empty}
        onClick={() => (canvas.current as HTMLCanvasElement & { clearPad?: () => void }).clearPad?.()}>
        Clear signature
      </button>
      <ErrorText id={`${id}-error`} message={error} />
    </div>
  );
}
