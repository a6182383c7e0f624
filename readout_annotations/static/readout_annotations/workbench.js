'use strict';
// The annotation screen's two conveniences, in plain JavaScript:
// "add a target" clones the stance formset's empty row (select2 wakes up on "formset:added"),
// Ctrl+Enter (Cmd+Enter) presses the form's main button, and a long paragraph scrolls so that
// the statement being tagged is in view.
{
    function addStanceRow(button) {
        const prefix = button.dataset.prefix;
        const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
        const template = document.getElementById(`${prefix}-empty`);
        const index = parseInt(total.value, 10);
        const holder = document.createElement('div');
        holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
        const row = holder.firstElementChild;
        document.getElementById(`${prefix}-rows`).appendChild(row);
        total.value = String(index + 1);
        row.dispatchEvent(new CustomEvent('formset:added', {bubbles: true, detail: {formsetName: prefix}}));
    }

    document.addEventListener('click', (event) => {
        const button = event.target.closest('[data-add-stance]');
        if (button) {
            event.preventDefault();
            addStanceRow(button);
        }
    });

    document.addEventListener('change', (event) => {
        if (event.target.matches('.ra-stances input[name$="-DELETE"]')) {
            event.target.closest('.ra-stance-row').classList.toggle('ra-deleted', event.target.checked);
        }
    });

    document.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            const main = document.querySelector('form [data-ra-main]');
            if (main) {
                event.preventDefault();
                main.click();
            }
        }
    });

    window.addEventListener('DOMContentLoaded', () => {
        for (const box of document.querySelectorAll('.ra-scroll-to-mark')) {
            const mark = box.querySelector('mark.ra-current');
            if (mark && box.scrollHeight > box.clientHeight) {
                const offset = mark.getBoundingClientRect().top - box.getBoundingClientRect().top;
                box.scrollTop += offset - box.clientHeight / 3;
            }
        }
    });
}
