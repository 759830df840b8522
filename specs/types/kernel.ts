/* Generated from specs/kernel.schema.json by scripts/gen-types.ts. Do not edit: change the schema and rerun. */

/**
 * A number; JSON has no infinities, so they are the strings 'inf' and '-inf'.
 *
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "Num".
 */
export type Num = number | ('inf' | '-inf');
/**
 * An expression tree over t, s, step, v, params, per-token fields and graph aggregates.
 *
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "Expr".
 */
export type Expr =
  NumExpr | VarExpr | ParamExpr | UnaryExpr | BinaryExpr | CallExpr | IfExpr | FieldExpr | GraphAggExpr;
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "Operator".
 */
export type Operator =
  | {
      op: 'mask';
    }
  | {
      op: 'reset';
      dist:
        | {
            kind: 'uniform';
          }
        | {
            kind: 'unigram';
          }
        | {
            kind: 'file';
            file: string;
          };
    }
  | {
      op: 'jump';
      graph: string;
    };
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "Hops".
 */
export type Hops =
  | {
      mode: 'adaptive';
      cap: number;
    }
  | {
      mode: 'fixed';
      H: number;
    };
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "Loss".
 */
export type Loss =
  | {
      kind: 'elbo' | 'ce';
    }
  | {
      kind: 'weighted_ce';
      weight: Expr;
    };
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "Rule".
 */
export type Rule =
  | {
      kind: 'logit';
      op: '=' | '+=' | '-=' | '*=' | '/=';
      expr: Expr;
    }
  | {
      kind: 'temperature' | 'top_k' | 'top_p' | 'min_p' | 'repetition_penalty';
      value: Expr;
    };

/**
 * A compiled .kernel file: the Kernel IR (docs/ir.md). WGSL and the float64 reference are generated from this, never from the AST.
 */
export interface KernelSpec {
  format: 'dlmk.kernel/1';
  name: string;
  doc: string;
  source: {
    /**
     * The .kernel file as given to the compiler ('<string>' when compiled from text).
     */
    path: string;
    sha256: string;
  };
  params: Param[];
  graphs: Graph[];
  schedule: Schedule;
  /**
   * @minItems 1
   */
  channels: [Channel, ...Channel[]];
  /**
   * True when some channel is 'mask': the state space is V tokens plus [MASK] (index V).
   */
  hasMask: boolean;
  /**
   * True when every channel's cumulative rate is a constant multiple (its share) of the schedule's Lambda(t); back ends use the fast closed forms then.
   */
  proportional: boolean;
  hops: Hops;
  loss: Loss;
  sampler: Sampler;
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "Param".
 */
export interface Param {
  name: string;
  type: 'int' | 'real' | 'bool';
  default: Num | boolean;
  /**
   * The value in force: the default or an override (--set name=value).
   */
  value: Num | boolean;
  range?: Range;
  doc?: string;
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "Range".
 */
export interface Range {
  lo: Num;
  hi: Num;
  loOpen: boolean;
  hiOpen: boolean;
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "Graph".
 */
export interface Graph {
  name: string;
  builder: 'knn';
  source:
    | 'embeddings'
    | {
        file: string;
      };
  k: number;
  bandwidth: number;
  symmetric: boolean;
  /**
   * null, or the name of a lexical class partition within which neighbours are chosen
   */
  classes: string | null;
  /**
   * Content hash of the built graph, filled in when a graph is built for a vocabulary.
   */
  hash?: string;
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "Schedule".
 */
export interface Schedule {
  kind: 'loglinear' | 'cosine' | 'geometric' | 'linear' | 'expr' | 'mutual_info';
  args: {
    [k: string]: number | undefined;
  };
  /**
   * Total cumulative rate Lambda(t); null for mutual_info (tabulated at run time).
   */
  Lambda: Expr | null;
  /**
   * dLambda/dt, by symbolic differentiation; null for mutual_info.
   */
  sigma: Expr | null;
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "NumExpr".
 */
export interface NumExpr {
  k: 'num';
  v: Num;
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "VarExpr".
 */
export interface VarExpr {
  k: 'var';
  /**
   * t: current time; s: target time of a reverse step (s < t); step: sampler step index; v: the token a rule is applied to.
   */
  name: 't' | 's' | 'step' | 'v';
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "ParamExpr".
 */
export interface ParamExpr {
  k: 'param';
  name: string;
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "UnaryExpr".
 */
export interface UnaryExpr {
  k: 'unary';
  op: '-' | '!';
  a: Expr;
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "BinaryExpr".
 */
export interface BinaryExpr {
  k: 'binary';
  op: '+' | '-' | '*' | '/' | '^' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||';
  a: Expr;
  b: Expr;
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "CallExpr".
 */
export interface CallExpr {
  k: 'call';
  fn:
    | 'exp'
    | 'log'
    | 'log1p'
    | 'expm1'
    | 'sqrt'
    | 'pow'
    | 'sin'
    | 'cos'
    | 'tan'
    | 'tanh'
    | 'abs'
    | 'min'
    | 'max'
    | 'clamp'
    | 'floor'
    | 'ceil';
  args: Expr[];
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "IfExpr".
 */
export interface IfExpr {
  k: 'if';
  cond: Expr;
  then: Expr;
  else: Expr;
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "FieldExpr".
 */
export interface FieldExpr {
  k: 'field';
  /**
   * Per-token vectors a sampler rule may read: current logits, their softmax, occurrences in the current sequence.
   */
  field: 'logit' | 'prob' | 'count';
  index: Expr;
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "GraphAggExpr".
 */
export interface GraphAggExpr {
  k: 'graph_agg';
  graph: string;
  /**
   * sum: sum over v's out-neighbours u of field[u] (unweighted); mean: that sum over the degree; max: the largest.
   */
  agg: 'sum' | 'mean' | 'max';
  of: 'logit' | 'prob' | 'count';
  index: Expr;
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "Channel".
 */
export interface Channel {
  operator: Operator;
  /**
   * The channel's weight: its share of the schedule's rate (1 when the file gives none); null when the channel has its own 'rate'.
   */
  share: Expr | null;
  /**
   * sigma_c(t) = share(t) * sigma(t), or the channel's own rate; null when the schedule is tabulated (then share * tabulated sigma).
   */
  sigma: Expr | null;
  /**
   * Lambda_c(t) = integral of sigma_c, in closed form when the compiler finds one; null means tabulate by quadrature.
   */
  Lambda: Expr | null;
}
/**
 * This interface was referenced by `KernelSpec`'s JSON-Schema
 * via the `definition` "Sampler".
 */
export interface Sampler {
  predictor: 'ancestral' | 'tau_leap' | 'remask' | 'confidence' | 'self_correct';
  options: {
    steps: number;
    [k: string]: number | string | boolean | undefined;
  };
  rules: Rule[];
  /**
   * Reuse the model call when no token changed and the model is not time-conditioned.
   */
  cache: boolean;
  denoise: 'argmax' | 'sample' | 'none';
}
