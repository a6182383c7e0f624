'use strict';
// The annotation screen, in plain JavaScript on top of the admin's jQuery and select2
// (docs/workbench.md lists the keys):
// - speaker and target pickers (class ra-autocomplete) on the workbench's ranked lookup, showing
//   kind, parent and description, and offering to propose a new speaker or target;
// - one-key edits (attribution, mode, same speaker as before, stances) and Ctrl+Enter to save;
// - selecting words in the highlighted statement sets the cue;
// - "add a target" clones the stance formset's empty row; a long paragraph scrolls so that the
//   statement being tagged is in view; the first field has focus on load.
{
    const jq = () => window.django && window.django.jQuery;
    const readingForm = () => document.getElementById('ra-reading-form');
    const gettext = window.gettext || ((text) => text);
    let currentRow = null;

    // ------------------------------------------------------------------ pickers

    const ANYWHERE = 3;  // catalog.ANYWHERE: the term only occurs inside a name
    const SPEAKER_KINDS = [
        ['person', gettext('person')], ['group', gettext('group')], ['organization', gettext('organization')],
        ['state', gettext('state')], ['publisher', gettext('publisher')],
    ];

    function csrfToken() {
        const input = document.querySelector('input[name=csrfmiddlewaretoken]');
        return input ? input.value : '';
    }

    function selectionOf(select) {
        return select.nextElementSibling && select.nextElementSibling.querySelector('.select2-selection');
    }

    function choose(select, id, text) {
        const $ = jq();
        if (!select.querySelector(`option[value="${id}"]`)) {
            select.appendChild(new Option(text, id, false, false));
        }
        $(select).val(String(id)).trigger('change');
    }

    function clear(select) {
        if (select && select.value) {
            jq()(select).val(null).trigger('change');
        }
    }

    function element(tag, className, text) {
        const node = document.createElement(tag);
        if (className) node.className = className;
        if (text) node.textContent = text;
        return node;
    }

    function renderResult(item) {
        if (item.loading || item.id === undefined) {
            return item.text;
        }
        if (item.propose) {
            return element('span', 'ra-new', item.text);
        }
        const box = element('span', 'ra-result');
        box.appendChild(element('span', 'ra-result-name', item.text));
        if (item.kind) box.appendChild(element('span', 'ra-result-kind', item.kind));
        if (item.proposed) box.appendChild(element('span', 'ra-result-proposed', gettext('proposed')));
        if (item.parent) box.appendChild(element('span', 'ra-result-parent', `${gettext('under')} ${item.parent}`));
        if (item.description) box.appendChild(element('span', 'ra-result-description', item.description));
        return box;
    }

    function proposals(vocabulary, term) {
        if (vocabulary === 'speaker') {
            return SPEAKER_KINDS.map(([kind, label]) => ({
                id: `__new__:${kind}`, propose: kind,
                text: interpolate(gettext('+ propose a new %(kind)s “%(name)s”'), {kind: label, name: term}),
            }));
        }
        return [{
            id: '__new__:target', propose: 'target',
            text: interpolate(gettext('+ propose a new target “%(name)s”…'), {name: term}),
        }];
    }

    function interpolate(text, values) {
        return text.replace(/%\((\w+)\)s/g, (match, name) => values[name]);
    }

    function initPicker(select) {
        const $ = jq();
        if (!$ || !$.fn.select2 || select.dataset.raReady) return;
        select.dataset.raReady = '1';
        const vocabulary = select.dataset.vocabulary;
        const dialog = select.closest('dialog');
        $(select).select2({
            dropdownParent: dialog ? $(dialog) : $(document.body),
            templateResult: renderResult,
            ajax: {
                data: (params) => ({term: params.term, page: params.page}),
                processResults: (data, params) => {
                    const term = (params.term || '').trim();
                    let results = data.results;
                    const exact = results.some((item) => item.text.toLowerCase() === term.toLowerCase());
                    if (term && !exact && !dialog && (params.page || 1) === 1) {
                        // Nothing whose name, slug or alias starts a word with the term (only
                        // names that merely contain it, such as a group naming its members):
                        // proposing the new name comes first, so Enter never picks the group.
                        const weak = results.every((item) => item.rank === ANYWHERE);
                        const offered = proposals(vocabulary, term);
                        results = weak ? [offered[0], ...results, ...offered.slice(1)] : results.concat(offered);
                    }
                    return {results, pagination: data.pagination};
                },
            },
        });
        $(select).on('select2:selecting', (event) => {
            const item = event.params.args.data;
            if (!item.propose) return;
            event.preventDefault();
            const term = $(select).data('select2').dropdown.$search.val().trim();
            $(select).select2('close');
            if (item.propose === 'target') {
                openTargetDialog(select, term);
            } else {
                propose(select, {name: term, kind: item.propose});
            }
        });
        if (select.closest('.ra-stance-row')) {
            $(select).on('select2:opening', () => makeRoomBelow(select));
        }
        // select2 announces a choice with a jQuery change, which no native listener hears.
        $(select).on('change', () => unmarkProposal(select));
        $(select).on('select2:select', () => {
            const row = select.closest('.ra-stance-row');
            if (row) {
                currentRow = row;
                nameStanceGroup(row);
            }
        });
    }

    // The height a picker's open list takes below it: the search field and select2's 200 px of results.
    const LIST_ROOM = 260;

    // select2 opens a list upward, over the row above, where the window has no room below the
    // picker: scroll the page first (growing it at the foot when it is too short), so that the
    // list opens below the stance row being edited, as it does higher up.
    function makeRoomBelow(select) {
        const short = selectionOf(select).getBoundingClientRect().bottom + LIST_ROOM - window.innerHeight;
        if (short <= 0) return;
        const spare = document.documentElement.scrollHeight - window.innerHeight - window.scrollY;
        if (spare < short) {
            const main = document.getElementById('content-main');
            main.style.paddingBottom = `${(parseFloat(main.style.paddingBottom) || 0) + short - spare}px`;
        }
        window.scrollBy(0, short);
    }

    function nameStanceGroup(row) {
        const select = row.querySelector('select');
        const option = select.selectedOptions[0];
        const group = row.querySelector('[role=radiogroup]');
        if (group && option && option.value) {
            group.setAttribute('aria-label', interpolate(gettext('Stance on %(target)s'), {target: option.text}));
        }
    }

    async function propose(select, fields, errorsBox) {
        const body = new FormData();
        for (const [name, value] of Object.entries(fields)) body.append(name, value || '');
        const response = await fetch(select.dataset.proposeUrl, {
            method: 'POST', body, headers: {'X-CSRFToken': csrfToken()}, credentials: 'same-origin',
        });
        const answer = await response.json();
        if (!response.ok) {
            const messages = Object.entries(answer.errors || {})
                .map(([field, errors]) => `${field}: ${errors.map((e) => e.message).join(' ')}`);
            if (errorsBox) {
                errorsBox.textContent = messages.join(' ');
                errorsBox.hidden = false;
            } else {
                window.alert(messages.join('\n'));
            }
            return false;
        }
        choose(select, answer.id, answer.text);
        const row = select.closest('.ra-stance-row');
        if (row) {
            currentRow = row;
            nameStanceGroup(row);
        }
        selectionOf(select).focus();
        return true;
    }

    function openTargetDialog(select, term) {
        const dialog = document.getElementById('ra-propose-target');
        if (!dialog) {  // a screen without the dialog (the reviewer's gold form): name only
            propose(select, {name: term, kind: 'issue'});
            return;
        }
        const form = dialog.querySelector('form');
        form.reset();
        clear(form.querySelector('select.ra-autocomplete'));
        form.querySelector('[data-errors]').hidden = true;
        form.querySelector('input[name=name]').value = term;
        dialog.raFor = select;
        dialog.showModal();
        form.querySelector('input[name=name]').focus();
    }

    document.addEventListener('submit', async (event) => {
        const form = event.target.closest('[data-propose-form]');
        if (!form) return;
        event.preventDefault();
        const dialog = form.closest('dialog');
        const fields = Object.fromEntries(new FormData(form).entries());
        if (await propose(dialog.raFor, fields, form.querySelector('[data-errors]'))) {
            dialog.close();
            selectionOf(dialog.raFor).focus();
        }
    });

    function openPicker(select) {
        if (!select) return;
        jq()(select).select2('open');
    }

    // ------------------------------------------------------------------ stance rows

    function addStanceRow(prefix) {
        const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
        const template = document.getElementById(`${prefix}-empty`);
        const index = parseInt(total.value, 10);
        const holder = document.createElement('div');
        holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
        const row = holder.firstElementChild;
        document.getElementById(`${prefix}-rows`).appendChild(row);
        total.value = String(index + 1);
        row.dispatchEvent(new CustomEvent('formset:added', {bubbles: true, detail: {formsetName: prefix}}));
        row.querySelectorAll('select.ra-autocomplete').forEach(initPicker);
        return row;
    }

    function emptyRow() {
        const rows = [...document.querySelectorAll('.ra-stances .ra-stance-row')];
        const empty = rows.find((row) => !row.querySelector('select').value && !row.classList.contains('ra-deleted'));
        return empty || addStanceRow('stances');
    }

    function activeRow(target) {
        const row = target.closest && target.closest('.ra-stance-row');
        if (row) return row;
        if (currentRow && currentRow.isConnected) return currentRow;
        const chosen = [...document.querySelectorAll('.ra-stances .ra-stance-row')]
            .filter((r) => r.querySelector('select').value);
        return chosen[chosen.length - 1] || null;
    }

    function setStance(row, value) {
        const radio = row && row.querySelector(`input[type=radio][value="${value}"]`);
        if (radio) {
            radio.checked = true;
            radio.dispatchEvent(new Event('change', {bubbles: true}));
        }
    }

    function toggleRemove(row) {
        const box = row && row.querySelector('input[name$="-DELETE"]');
        if (box) {
            box.checked = !box.checked;
            box.dispatchEvent(new Event('change', {bubbles: true}));
        }
    }

    document.addEventListener('click', (event) => {
        const button = event.target.closest('[data-add-stance]');
        if (button) {
            event.preventDefault();
            const row = addStanceRow(button.dataset.prefix);
            openPicker(row.querySelector('select'));
        }
        const close = event.target.closest('dialog [data-close]');
        if (close) close.closest('dialog').close();
    });

    // A field the annotator changed is no longer the machine's proposal: its mark goes.
    function unmarkProposal(field) {
        const proposed = field.closest('.ra-proposed');
        if (proposed && !field.closest('dialog')) proposed.classList.remove('ra-proposed');
    }

    document.addEventListener('change', (event) => {
        if (event.target.matches('.ra-stances input[name$="-DELETE"]')) {
            event.target.closest('.ra-stance-row').classList.toggle('ra-deleted', event.target.checked);
        }
        unmarkProposal(event.target);
        if (event.target.matches('#ra-reading-form input[name=cue]')) checkCue();
    });

    // The cue is checked at every keystroke, not only when the field loses focus.
    document.addEventListener('input', (event) => {
        if (event.target.matches('#ra-reading-form input[name=cue]')) checkCue();
    });

    // ------------------------------------------------------------------ reading fields

    function radio(name, value) {
        return document.querySelector(`#ra-reading-form input[name="${name}"][value="${value}"]`);
    }

    function check(name, value) {
        const input = radio(name, value);
        if (input && !input.checked) {
            input.checked = true;
            input.dispatchEvent(new Event('change', {bubbles: true}));
        }
    }

    function setCue(value) {
        const cue = document.querySelector('#ra-reading-form input[name=cue]');
        if (cue && cue.value !== value) {
            cue.value = value;
            cue.dispatchEvent(new Event('change', {bubbles: true}));
        }
    }

    function speakerSelect() {
        return document.querySelector('#ra-reading-form select[name=speaker]');
    }

    function setAttribution(value) {
        check('attribution', value);
        if (value === 'narration') {  // guideline §2: no speaker, no mode, no cue
            clear(speakerSelect());
            check('mode', '');
            setCue('');
        } else if (value === 'continued') {  // guideline §5: no cue
            setCue('');
        }
    }

    function sameSpeaker() {
        const form = readingForm();
        if (!form.dataset.previousSpeaker) return;
        choose(speakerSelect(), form.dataset.previousSpeaker, form.dataset.previousSpeakerName);
        const attribution = form.querySelector('input[name=attribution]:checked');
        if (!attribution || attribution.value === 'narration') setAttribution('continued');
        const mode = form.querySelector('input[name=mode]:checked');
        if (!mode || !mode.value) check('mode', 'indirect');
    }

    function checkCue() {
        const form = readingForm();
        const cue = form && form.querySelector('input[name=cue]');
        if (!cue) return;
        const text = form.dataset.statement.toLowerCase();
        const missing = cue.value.trim() && !text.includes(cue.value.trim().toLowerCase());
        cue.setCustomValidity(missing ? gettext('The cue does not occur in the statement.') : '');
        cue.classList.toggle('ra-invalid', Boolean(missing));
        cue.title = missing ? gettext('The cue does not occur in the statement.') : '';
    }

    // The cue from the text: a selection inside the highlighted statement, widened to whole words.
    const WORD = /[\p{L}\p{N}'’-]/u;
    document.addEventListener('mouseup', () => {
        const mark = document.querySelector('.ra-source mark.ra-current');
        const selection = window.getSelection();
        if (!mark || !readingForm() || !selection.rangeCount || selection.isCollapsed) return;
        const range = selection.getRangeAt(0);
        const node = mark.firstChild;
        if (range.startContainer !== node || range.endContainer !== node) return;
        const text = node.textContent;
        let start = range.startOffset;
        let end = range.endOffset;
        while (start > 0 && WORD.test(text[start - 1]) && WORD.test(text[start])) start -= 1;
        while (end < text.length && WORD.test(text[end]) && WORD.test(text[end - 1])) end += 1;
        const cue = text.slice(start, end).replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
        if (cue && !readingForm().querySelector('fieldset[disabled]')) setCue(cue);
    });

    // ------------------------------------------------------------------ keys

    function isTyping(target) {
        return target.matches && (target.matches('input[type=text], input:not([type]), textarea, select')
            || target.isContentEditable);
    }

    function home() {
        const form = readingForm();
        const first = form && (form.querySelector('input[name=attribution]:checked')
            || form.querySelector('input[name=attribution]'));
        if (first) first.focus();
    }

    const KEYS = {
        e: () => setAttribution('explicit'),
        c: () => setAttribution('continued'),
        i: () => setAttribution('inferred'),
        n: () => setAttribution('narration'),
        d: () => check('mode', 'direct'),
        r: () => check('mode', 'indirect'),
        m: () => check('mode', 'mixed'),
        s: sameSpeaker,
        '/': () => openPicker(speakerSelect()),
        k: () => {
            const cue = document.querySelector('#ra-reading-form input[name=cue]');
            cue.focus();
            cue.select();
        },
        t: () => {
            const row = emptyRow();
            currentRow = row;
            row.scrollIntoView({block: 'nearest'});
            openPicker(row.querySelector('select'));
        },
        f: (target) => setStance(activeRow(target), 'favor'),
        a: (target) => setStance(activeRow(target), 'against'),
        o: (target) => setStance(activeRow(target), 'none'),
        x: (target) => toggleRemove(activeRow(target)),
        Delete: (target) => toggleRemove(activeRow(target)),
        '?': () => {
            const keys = document.querySelector('details.ra-keys');
            if (keys) keys.open = !keys.open;
        },
    };

    document.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            const main = document.querySelector('form [data-ra-main]');
            if (main && !document.querySelector('dialog[open]')) {
                event.preventDefault();
                main.click();
            }
            return;
        }
        if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
        const form = readingForm();
        if (!form || form.querySelector('fieldset[disabled]') || document.querySelector('dialog[open]')) return;
        if (document.querySelector('.select2-container--open')) return;
        if (isTyping(event.target)) {
            if (event.key === 'Escape' && form.contains(event.target)) {
                event.target.blur();
                home();
            }
            return;
        }
        const action = KEYS[event.key];
        if (action) {
            event.preventDefault();
            action(event.target);
        }
    });

    document.addEventListener('focusin', (event) => {
        const row = event.target.closest && event.target.closest('.ra-stance-row');
        if (row) currentRow = row;
    });

    window.addEventListener('DOMContentLoaded', () => {
        document.querySelectorAll('select.ra-autocomplete').forEach(initPicker);
        document.querySelectorAll('.ra-stances .ra-stance-row').forEach((row) => {
            if (row.querySelector('select').value) nameStanceGroup(row);
        });
        for (const box of document.querySelectorAll('.ra-scroll-to-mark')) {
            // A sticky box ends in the first screen too (its CSS height is the window's, for
            // when it sticks to the top), so that the statement scrolled into it is in view.
            const top = box.getBoundingClientRect().top;
            if (getComputedStyle(box).position === 'sticky' && top + box.offsetHeight > window.innerHeight) {
                box.style.maxHeight = `${window.innerHeight - top - 8}px`;
            }
            const mark = box.querySelector('mark.ra-current');
            if (mark && box.scrollHeight > box.clientHeight) {
                const offset = mark.getBoundingClientRect().top - top;
                box.scrollTop += offset - box.clientHeight / 3;
            }
        }
        if (readingForm() && !readingForm().querySelector('fieldset[disabled]')) {
            checkCue();
            home();
        }
    });
}
