/* btecqa: accessible names that Django's admin widgets leave out (axe: label, select-name,
   aria-input-field-name, aria-prohibited-attr, empty-table-header). Each fix touches only an
   element that has no name yet, so it does nothing where Django already gives one, and it
   runs again whenever the admin's own scripts add widgets (inline rows, select2, the
   horizontal filter). Loaded on every admin page by templates/admin/base_site.html. */
"use strict";
(function () {
    function words(el) {
        return (el ? el.textContent : "").replace(/\s+/g, " ").replace(/[\s:?*]+$/, "").trim();
    }

    function named(el) {
        if (el.getAttribute("aria-label") || el.getAttribute("title")) {
            return true;
        }
        if (el.getAttribute("aria-labelledby")) {
            return el.getAttribute("aria-labelledby").split(/\s+/).some(function (id) {
                return words(document.getElementById(id)) !== "";
            });
        }
        if (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) {
            return true;
        }
        return el.closest("label") !== null;
    }

    function rowLabel(el) {
        // The field's own label in a stacked form row ("Created at:" above a date and a time).
        const row = el.closest(".form-row, .fieldBox");
        return row ? words(row.querySelector("label")) : "";
    }

    function nameTabularCells(root) {
        root.querySelectorAll(".tabular table").forEach(function (table) {
            const heads = Array.from(table.querySelectorAll("thead th"));
            heads.forEach(function (th, i) {
                if (words(th) === "") {
                    // The first column shows the saved record; an empty last one means the
                    // inline allows no deletion.
                    const hidden = document.createElement("span");
                    hidden.className = "visually-hidden";
                    hidden.textContent = i === 0 ? "Saved record" : "Deletion not allowed";
                    th.appendChild(hidden);
                }
            });
            // Not the hidden template row (tr.empty-form): "Add another" clones it, names and all.
            const rows = table.querySelectorAll("tbody tr.form-row:not(.empty-form)");
            rows.forEach(function (tr, row) {
                Array.from(tr.children).forEach(function (td, column) {
                    const heading = words(heads[column]);
                    td.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(
                        function (control) {
                            if (heading && !named(control)) {
                                control.setAttribute("aria-label", heading + ", row " + (row + 1));
                            }
                        }
                    );
                });
            });
        });
    }

    function nameSplitDateTimes(root) {
        // "Date: [ ] Time: [ ]": the words before each box are plain text, not labels.
        root.querySelectorAll("p.datetime input:not([type=hidden])").forEach(function (input) {
            if (named(input)) {
                return;
            }
            let part = "";
            for (let n = input.previousSibling; n && !part; n = n.previousSibling) {
                if (n.nodeType === Node.TEXT_NODE) {
                    part = n.textContent.replace(/[\s:]+/g, " ").trim();
                }
            }
            const name = [rowLabel(input), part.toLowerCase()].filter(Boolean).join(", ");
            if (name) {
                input.setAttribute("aria-label", name);
            }
        });
    }

    function nameSelect2(root) {
        // select2 names its box after the chosen value: empty when nothing is chosen.
        root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
            const container = select.nextElementSibling;
            const label = select.id && document.querySelector('label[for="' + CSS.escape(select.id) + '"]');
            if (!container || !container.classList.contains("select2")) {
                return;
            }
            let labelId = "";
            if (label) {
                label.id = label.id || select.id + "_label";
                labelId = label.id;
            }
            const box = container.querySelector(".select2-selection[role=combobox]");
            const rendered = container.querySelector(".select2-selection__rendered");
            if (box && rendered && rendered.id && !box.dataset.btecqaNamed) {
                if (labelId) {
                    box.setAttribute("aria-labelledby", labelId + " " + rendered.id);
                } else {
                    box.setAttribute("aria-label", select.getAttribute("aria-label") || select.name);
                }
                box.dataset.btecqaNamed = "1";
            }
            if (rendered && !named(rendered)) {
                if (labelId) {
                    rendered.setAttribute("aria-labelledby", labelId);
                } else {
                    rendered.setAttribute("aria-label", select.getAttribute("aria-label") || select.name);
                }
            }
        });
    }

    function roleTooltips(root) {
        // The horizontal filter's search icons carry an aria-label, allowed only with a role.
        root.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (s) {
            s.setAttribute("role", "img");
        });
    }

    function fix() {
        nameTabularCells(document);
        nameSplitDateTimes(document);
        nameSelect2(document);
        roleTooltips(document);
    }

    let queued = false;
    const observer = new MutationObserver(function () {
        if (!queued) {
            queued = true;
            window.requestAnimationFrame(function () {
                queued = false;
                fix();
            });
        }
    });

    function start() {
        fix();
        observer.observe(document.body, { childList: true, subtree: true });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
