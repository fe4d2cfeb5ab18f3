// The console's only script: copy buttons and dialogs (Generate API Key, confirmations). Everything works without it:
// a form submitted without confirmation shows a confirmation page instead.
document.addEventListener("click", (event) => {
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const text = document.getElementById(copy.dataset.copy)?.textContent ?? "";
    navigator.clipboard?.writeText(text).then(() => { copy.textContent = "Copied"; });
    return;
  }
  const confirm = event.target.closest("[data-confirm], [data-open]");
  if (confirm) {
    const dialog = document.getElementById(confirm.dataset.confirm ?? confirm.dataset.open);
    if (dialog?.showModal) {
      event.preventDefault();
      dialog.showModal();
    }
    return;
  }
  const close = event.target.closest("[data-close]");
  if (close) {
    const dialog = document.getElementById(close.dataset.close);
    if (dialog?.close) {
      event.preventDefault();
      dialog.close();
    }
  }
});
