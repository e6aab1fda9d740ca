import { readFileSync } from 'node:fs';
import type { CatalogModel, ModelPricing } from '../domain.ts';
import { StartupError } from '../core/startup.ts';

/**
 * PRICE_OVERRIDES_FILE: the operator's prices for what Together does not list (image models at 0/0, chat models
 * such as MoA billed through others) or lists differently from the contract they have. JSON, model id → prices:
 *
 *   {
 *     "black-forest-labs/FLUX.1-schnell": { "perMegapixel": 0.0027 },
 *     "black-forest-labs/FLUX.1.1-pro": { "perImage": 0.04 },
 *     "togethercomputer/MoA-1": { "inputPerMillion": 0.6, "outputPerMillion": 0.6 }
 *   }
 *
 * Fields are ModelPricing's (USD): inputPerMillion, outputPerMillion, cachedInputPerMillion, perImage, perMegapixel.
 * An entry replaces the fields it names and keeps Together's other prices; ids match exactly, then case-insensitively.
 * The file is read once at start-up; anything wrong in it stops the start with one line naming the entry.
 */
export type PriceOverride = Partial<Pick<ModelPricing, 'inputPerMillion' | 'outputPerMillion' | 'cachedInputPerMillion' | 'perImage' | 'perMegapixel'>>;

const FIELDS = ['inputPerMillion', 'outputPerMillion', 'cachedInputPerMillion', 'perImage', 'perMegapixel'] as const;
const TOKEN_FIELDS = ['inputPerMillion', 'outputPerMillion', 'cachedInputPerMillion'] as const;

/** The start-up error for a bad file: its message is the one line an operator sees. */
export class PriceOverridesError extends StartupError {
  constructor(file: string, problem: string) {
    super('PRICE_OVERRIDES_FILE', `PRICE_OVERRIDES_FILE (${file}): ${problem}`);
    this.name = 'PriceOverridesError';
  }
}

export class PriceOverrides {
  private readonly byLowerId: ReadonlyMap<string, PriceOverride>;

  constructor(private readonly byId: ReadonlyMap<string, PriceOverride>) {
    this.byLowerId = new Map([...byId].map(([id, o]) => [id.toLowerCase(), o]));
  }

  get size(): number {
    return this.byId.size;
  }

  /** Parses and checks the file's JSON text; `file` only names it in errors. */
  static parse(text: string, file: string): PriceOverrides {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new PriceOverridesError(file, `not valid JSON (${(err as Error).message})`);
    }
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new PriceOverridesError(file, 'must be a JSON object of model id → prices');
    const byId = new Map<string, PriceOverride>();
    for (const [id, entry] of Object.entries(json as Record<string, unknown>)) {
      const where = JSON.stringify(id);
      if (id.trim() === '') throw new PriceOverridesError(file, 'a model id is empty');
      if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw new PriceOverridesError(file, `${where} must be an object of prices`);
      const override: PriceOverride = {};
      for (const [field, value] of Object.entries(entry as Record<string, unknown>)) {
        if (!(FIELDS as readonly string[]).includes(field)) {
          throw new PriceOverridesError(file, `${where}.${field} is not a price field (known: ${FIELDS.join(', ')})`);
        }
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
          throw new PriceOverridesError(file, `${where}.${field} must be a number ≥ 0 (got ${JSON.stringify(value)})`);
        }
        override[field as (typeof FIELDS)[number]] = value;
      }
      if (Object.keys(override).length === 0) throw new PriceOverridesError(file, `${where} names no price (fields: ${FIELDS.join(', ')})`);
      if (override.perImage !== undefined && override.perMegapixel !== undefined) {
        throw new PriceOverridesError(file, `${where} has both perImage and perMegapixel: a model is billed one way`);
      }
      if (byId.has(id)) throw new PriceOverridesError(file, `${where} appears twice`);
      byId.set(id, override);
    }
    return new PriceOverrides(byId);
  }

  /** Reads the file at start-up (null when the setting is empty). */
  static load(file: string | undefined): PriceOverrides | null {
    if (!file) return null;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new PriceOverridesError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    return PriceOverrides.parse(text, file);
  }

  find(id: string): PriceOverride | undefined {
    return this.byId.get(id) ?? this.byLowerId.get(id.toLowerCase());
  }

  /** The model with the operator's prices over Together's (the same object when no entry names it). */
  apply(model: CatalogModel): CatalogModel {
    const override = this.find(model.id);
    if (!override) return model;
    const base = model.pricing;
    const namesTokens = TOKEN_FIELDS.some((f) => override[f] !== undefined);
    const inputPerMillion = override.inputPerMillion ?? base?.inputPerMillion ?? 0;
    const outputPerMillion = override.outputPerMillion ?? base?.outputPerMillion ?? 0;
    const pricing: ModelPricing = {
      perToken: (base?.perToken ?? false) || namesTokens,
      inputPerMillion,
      outputPerMillion,
      inputPerToken: inputPerMillion / 1e6,
      outputPerToken: outputPerMillion / 1e6,
      cachedInputPerMillion: override.cachedInputPerMillion ?? base?.cachedInputPerMillion ?? null,
      hourly: base?.hourly ?? null,
      // One image price at a time: an override naming one drops Together's other (it has none today).
      perImage: override.perMegapixel !== undefined ? null : (override.perImage ?? base?.perImage ?? null),
      perMegapixel: override.perImage !== undefined ? null : (override.perMegapixel ?? base?.perMegapixel ?? null),
      source: 'OPERATOR',
    };
    return { ...model, pricing };
  }
}
