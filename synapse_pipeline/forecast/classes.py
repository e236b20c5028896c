"""Syntetos-Boylan demand classes: how often a SKU sells (ADI) and how much its sales vary (CV²)."""

import numpy as np

ADI_CUTOFF, CV2_CUTOFF = 1.32, 0.49
SUAVE, ERRATICA, INTERMITENTE, IRREGULAR = "suave", "erratica", "intermitente", "irregular"
SEM_VENDA = "sem_venda"  # no sale yet: no class can be told
CLASSES: tuple[str, ...] = (SUAVE, ERRATICA, INTERMITENTE, IRREGULAR, SEM_VENDA)


def demand_classes(history: np.ndarray) -> np.ndarray:
    """Each SKU's class on its series since its first sale (SKUs x months of demand >= 0).

    ADI: months since the first sale per month with a sale; CV²: the squared coefficient of variation of the
    months with a sale (population variance; 0 with a single sale).
    """
    sale = history > 0
    sales = sale.sum(axis=1)
    first = np.where(sales > 0, sale.argmax(axis=1), history.shape[1])
    span = history.shape[1] - first
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = span / sales
        mean = np.where(sale, history, 0.0).sum(axis=1) / sales
        variance = np.where(sale, (history - mean[:, None]) ** 2, 0.0).sum(axis=1) / sales
        cv2 = variance / mean**2
    frequent, steady = adi < ADI_CUTOFF, cv2 < CV2_CUTOFF
    classes = np.select(
        [sales == 0, frequent & steady, frequent, steady],
        [SEM_VENDA, SUAVE, ERRATICA, INTERMITENTE],
        default=IRREGULAR,
    )
    return classes.astype(object)
