"""A channel named ``GFP.v2`` shows its values in the grid (issue 9.12).

AG Grid reads dots in a field as nested objects unless told otherwise
(``suppressFieldDotNotation``); the column was empty.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import discs, serve

pytestmark = pytest.mark.browser

COLUMN = "intensity_mean-GFP.v2"


@pytest.fixture(scope="module")
def dotted_app():
    image, labels = discs()
    stack = np.stack([image, (image // 2).astype(np.uint8)], axis=-1)
    served = serve(stack, labels, channel_names=("DAPI", "GFP.v2"), name="dotted")
    yield served
    served.server.stop()


def test_dotted_channel_column_shows_values(dotted_app, new_page):
    page = new_page(dotted_app.url)
    expected = dotted_app.dataset.table.set_index("label")[COLUMN]
    values = page.evaluate(
        """(column) => {
            const api = dash_ag_grid.getApi('rs-grid');
            const out = {};
            api.forEachNode(node => { out[node.data.label] = api.getCellValue({rowNode: node, colKey: column}); });
            api.ensureColumnVisible(column);
            return out;
        }""",
        COLUMN,
    )
    assert {int(k): v for k, v in values.items()} == pytest.approx(expected.to_dict())
    cell = page.locator(f"#rs-grid .ag-row[row-id='3'] [col-id='{COLUMN}']").first
    cell.wait_for(timeout=10_000)
    assert cell.inner_text().strip() not in ("", "-")
