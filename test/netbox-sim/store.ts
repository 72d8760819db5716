/** In-memory object store: one table per model, ids per model starting at 1, timestamps. */

export type Row = Record<string, unknown> & { id: number; created: string; last_updated: string };

export class Store {
  private readonly tables = new Map<string, Map<number, Row>>();
  private readonly nextIds = new Map<string, number>();

  private table(model: string): Map<number, Row> {
    let t = this.tables.get(model);
    if (t === undefined) {
      t = new Map();
      this.tables.set(model, t);
    }
    return t;
  }

  insert(model: string, data: Record<string, unknown>): Row {
    const id = this.nextIds.get(model) ?? 1;
    this.nextIds.set(model, id + 1);
    const now = new Date().toISOString();
    const row: Row = { ...data, id, created: now, last_updated: now };
    this.table(model).set(id, row);
    return row;
  }

  get(model: string, id: number): Row | undefined {
    return this.table(model).get(id);
  }

  /** Applies changes to an existing row and bumps last_updated. */
  update(model: string, id: number, changes: Record<string, unknown>): Row {
    const row = this.table(model).get(id);
    if (row === undefined) throw new Error(`${model} ${id} does not exist`);
    Object.assign(row, changes, { id, last_updated: new Date().toISOString() });
    return row;
  }

  delete(model: string, id: number): boolean {
    return this.table(model).delete(id);
  }

  /** All rows ordered by id. */
  all(model: string): Row[] {
    return [...this.table(model).values()].sort((a, b) => a.id - b.id);
  }

  find(model: string, pred: (r: Row) => boolean): Row[] {
    return this.all(model).filter(pred);
  }
}
