"""The template picker: a list of templates by category, a form for the chosen one, and "Use".

``TemplatePane`` posts :class:`TemplatePane.Use` with the rendered prompt; it never generates
anything itself. Styles live in ``templates.tcss`` next to this file (the host app lists it in
``CSS_PATH``).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tui.templates import CATEGORIES, Template, TemplateError, load_all, render
from tui.widgets.safe_text_area import SafeTextArea

CSS_FILE = Path(__file__).with_name("templates.tcss")
"""The stylesheet for this widget, for the host app's ``CSS_PATH``."""

USE_KEY = "ctrl+g"
USE_BINDING_ID = "templates.use"

_NARROW = 60  # below this width the list sits above the form instead of beside it

FieldWidget = Input | TextArea


class TemplatePane(Widget):
    """Pick a template, fill in its fields, press Use (``ctrl+g``, or Enter in the last field)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(USE_KEY, "use", "Use template", id=USE_BINDING_ID),
    ]

    class Use(Message):
        """The user chose ``template``; ``text`` is the rendered prompt."""

        def __init__(self, text: str, template: Template, examples: str = "") -> None:
            super().__init__()
            self.text = text
            self.template = template
            self.examples = examples
            """Rendered few-shot examples: for the model's prompt, not the document."""

        def __repr__(self) -> str:
            return f"TemplatePane.Use({self.template.key!r}, {len(self.text)} chars)"

    def __init__(
        self,
        templates: list[Template] | None = None,
        errors: list[TemplateError] | None = None,
        *,
        user_folder: Path | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Show ``templates`` (default: built-ins plus the user's, read from ``user_folder``)."""
        super().__init__(name=name, id=id, classes=classes)
        self._user_folder = user_folder
        if templates is None:
            templates, loaded_errors = self._load(user_folder)
            errors = [*(errors or []), *loaded_errors]
        self.templates: list[Template] = list(templates)
        self.errors: list[TemplateError] = list(errors or [])
        self._current: Template | None = None
        self._inputs: dict[str, FieldWidget] = {}
        self._values: dict[str, dict[str, str]] = {}

    @staticmethod
    def _load(folder: Path | None) -> tuple[list[Template], list[TemplateError]]:
        try:
            return load_all(folder)
        except TemplateError as exc:  # a broken built-in: show it, don't crash the app
            return [], [exc]
        except Exception as exc:
            return [], [TemplateError(folder or Path("templates"), f"unexpected error: {exc}")]

    # Layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="tp-body"):
            with Vertical(id="tp-side"):
                yield OptionList(*self._options(), id="tp-list")
                yield Static(self._errors_text(), id="tp-errors")
            with VerticalScroll(id="tp-detail", can_focus=False):
                yield Static("", id="tp-title")
                yield Static("", id="tp-description")
                yield Static("", id="tp-meta")
                yield Vertical(id="tp-form")
                yield Button("Use", id="tp-use", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#tp-errors", Static).display = bool(self.errors)
        option_list = self.query_one("#tp-list", OptionList)
        first = next((i for i, o in enumerate(option_list.options) if not o.disabled), None)
        if first is None:
            self.query_one("#tp-title", Static).update("No templates")
        else:
            option_list.highlighted = first

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < _NARROW, "-narrow")

    def _options(self) -> list[Option]:
        groups: dict[str, list[int]] = {}
        for index, template in enumerate(self.templates):
            groups.setdefault(template.category, []).append(index)
        order = [c for c in CATEGORIES if c in groups] + sorted(
            c for c in groups if c not in CATEGORIES
        )
        options: list[Option] = []
        for category in order:
            options.append(Option(Text(category.upper(), style="bold"), disabled=True))
            for index in groups[category]:
                template = self.templates[index]
                prompt = Text(f"  {template.title}")
                if not template.builtin:
                    prompt.append(" (yours)", style="italic")
                options.append(Option(prompt, id=f"tp-{index}"))
        return options

    def _errors_text(self) -> Text:
        text = Text("Could not load:", style="bold")
        for error in self.errors:
            text.append("\n• ")
            text.append(error.path.name, style="bold")
            text.append(f" — {error.message}")
        return text

    # Showing a template --------------------------------------------------------------------
    @property
    def current(self) -> Template | None:
        """The template whose form is shown."""
        return self._current

    @on(OptionList.OptionHighlighted, "#tp-list")
    async def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        option_id = event.option.id
        if option_id and option_id.startswith("tp-"):
            await self.show(self.templates[int(option_id[3:])])

    @on(OptionList.OptionSelected, "#tp-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.focus_form()

    async def show(self, template: Template) -> None:
        """Show ``template``'s description and form (values typed earlier are kept)."""
        if template is self._current:
            return
        self._remember()
        self._current = template
        self.query_one("#tp-title", Static).update(Text(template.title, style="bold"))
        self.query_one("#tp-description", Static).update(Text(template.description))
        origin = "built-in" if template.builtin else f"yours: {template.source.name}"
        meta = f"{template.category} · preset {template.preset} · up to {template.max_tokens}"
        self.query_one("#tp-meta", Static).update(Text(f"{meta} tokens · {origin}"))
        values = self._values.get(template.key, {})
        form = self.query_one("#tp-form", Vertical)
        await form.remove_children()
        self._inputs = {}
        widgets: list[Widget] = []
        for field in template.fields:
            value = values.get(field.name, field.default)
            widgets.append(Label(Text(field.label), classes="tp-label"))
            widget: FieldWidget
            if field.multiline:
                widget = SafeTextArea(
                    value, soft_wrap=True, tab_behavior="focus", classes="tp-area"
                )
            else:
                widget = Input(value, placeholder=field.default, classes="tp-input")
            widget.tooltip = f"{{{field.name}}}"
            self._inputs[field.name] = widget
            widgets.append(widget)
        if widgets:
            await form.mount_all(widgets)
        self.query_one("#tp-use", Button).disabled = False
        self.query_one("#tp-detail", VerticalScroll).scroll_home(animate=False)

    def _remember(self) -> None:
        if self._current is not None and self._inputs:
            self._values[self._current.key] = self.values()

    def values(self) -> dict[str, str]:
        """The form's current values, by field name."""
        return {
            name: widget.text if isinstance(widget, TextArea) else widget.value
            for name, widget in self._inputs.items()
        }

    def field_widget(self, name: str) -> Input | TextArea:
        """The input for field ``name`` of the shown template."""
        return self._inputs[name]

    def focus_form(self) -> None:
        """Focus the first field, or the Use button when the template has none."""
        if self._inputs:
            next(iter(self._inputs.values())).focus()
        else:
            self.query_one("#tp-use", Button).focus()

    # Using it ------------------------------------------------------------------------------
    @on(Input.Submitted, ".tp-input")
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; in the last field it uses the template."""
        event.stop()
        widgets = list(self._inputs.values())
        if event.input not in widgets:
            return
        position = widgets.index(event.input)
        if position == len(widgets) - 1:
            self.action_use()
        else:
            widgets[position + 1].focus()

    @on(Button.Pressed, "#tp-use")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_use()

    def action_use(self) -> None:
        """Render the shown template with the form's values and post :class:`Use`."""
        template = self._current
        if template is None:
            self.app.bell()
            return
        try:
            text = render(template, self.values())
            examples = render(template, self.values(), template.examples)
        except ValueError as exc:  # cannot happen for a loaded template; never crash
            self.notify(str(exc), title="Template", severity="error")
            return
        self.post_message(self.Use(text, template, examples))

    # Reloading -----------------------------------------------------------------------------
    async def reload(self) -> None:
        """Read the templates again (after the user edited their folder)."""
        self._remember()
        self.templates, self.errors = self._load(self._user_folder)
        self._current = None
        option_list = self.query_one("#tp-list", OptionList)
        option_list.clear_options()
        option_list.add_options(self._options())
        errors = self.query_one("#tp-errors", Static)
        errors.update(self._errors_text())
        errors.display = bool(self.errors)
        form = self.query_one("#tp-form", Vertical)
        await form.remove_children()
        self._inputs = {}
        self.query_one("#tp-use", Button).disabled = True
        first = next((i for i, o in enumerate(option_list.options) if not o.disabled), None)
        option_list.highlighted = first
