using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Flow;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine;

/// <summary>
/// The one analysis of a compilation that every rule reads: the engine's semantics (built once,
/// nothing at all when Wasmtime is not referenced) and the facts of each method, solved once by
/// whichever rule asks first and shared with the others, as the .NET dispose rules share one
/// dispose analysis. Adding a rule adds no pass over the methods.
/// </summary>
internal sealed partial class CompilationViewAnalysis
{
    private static readonly ConditionalWeakTable<Compilation, ConcurrentDictionary<WasmViewOptions, CompilationViewAnalysis>> Analyses = new();

    private readonly ConcurrentDictionary<ISymbol, Lazy<MethodViewFacts>> _facts = new(SymbolEqualityComparer.Default);

    private CompilationViewAnalysis(Compilation compilation, WasmViewOptions options)
    {
        Semantics = WasmViewSemantics.TryCreate(compilation, options);
    }

    /// <summary><see langword="null"/> when the compilation does not reference Wasmtime.</summary>
    public WasmViewSemantics? Semantics { get; }

    /// <summary>
    /// The analysis of <paramref name="compilation"/> under the <c>.editorconfig</c> options in
    /// <paramref name="options"/> (<see cref="WasmViewOptions"/>): the rules of one build read the
    /// same options, so they share one analysis.
    /// </summary>
    public static CompilationViewAnalysis For(Compilation compilation, AnalyzerOptions? options)
    {
        var parsed = WasmViewOptions.Read(options, compilation);
        return Analyses.GetValue(compilation, static _ => new ConcurrentDictionary<WasmViewOptions, CompilationViewAnalysis>())
            .GetOrAdd(parsed, o => new CompilationViewAnalysis(compilation, o));
    }

    /// <summary>The facts of the method (or other member) whose operation blocks <paramref name="context"/> holds.</summary>
    public MethodViewFacts GetFacts(OperationBlockAnalysisContext context)
    {
        var semantics = Semantics;
        if (semantics is null)
        {
            return MethodViewFacts.Empty;
        }

        while (true)
        {
            var lazy = _facts.GetOrAdd(
                context.OwningSymbol,
                _ => new Lazy<MethodViewFacts>(() => Analyze(semantics, context), LazyThreadSafetyMode.ExecutionAndPublication));
            try
            {
                return lazy.Value;
            }
            catch (OperationCanceledException)
            {
                // The rule that started the analysis was cancelled: forget the attempt, so that a
                // rule that is still running solves the method itself.
                ((ICollection<KeyValuePair<ISymbol, Lazy<MethodViewFacts>>>)_facts).Remove(new(context.OwningSymbol, lazy));
                context.CancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    private static MethodViewFacts Analyze(WasmViewSemantics semantics, OperationBlockAnalysisContext context)
    {
        try
        {
            return AnalyzeBlocks(semantics, context);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new WasmViewAnalysisException(context.OwningSymbol, exception);
        }
    }

    private static MethodViewFacts AnalyzeBlocks(WasmViewSemantics semantics, OperationBlockAnalysisContext context)
    {
        var staleUses = ImmutableArray.CreateBuilder<StaleViewUse>();
        var escapes = ImmutableArray.CreateBuilder<ViewEscape>();
        var handoffs = ImmutableArray.CreateBuilder<ArchiveHandoff>();

        // A method's body and its expression body, parameter defaults and initializers are separate
        // blocks; each executable one has its own control-flow graph.
        foreach (var block in context.OperationBlocks)
        {
            if (Foresee(semantics, block, context.OwningSymbol, context.CancellationToken) != BlockOutlook.NeedsAnalysis)
            {
                continue;
            }

            if (semantics.Bodies.GetGraph(block, b => GetControlFlowGraph(context, b)) is not { } graph)
            {
                continue;
            }

            foreach (var nested in WithNestedGraphs(graph, context.CancellationToken))
            {
                var facts = ViewFlowAnalysis.Analyze(semantics, nested, context.CancellationToken);
                staleUses.AddRange(facts.StaleUses);
                escapes.AddRange(facts.Escapes);
                handoffs.AddRange(facts.Handoffs);
            }
        }

        return staleUses.Count + escapes.Count + handoffs.Count == 0
            ? MethodViewFacts.Empty
            : new MethodViewFacts(staleUses.ToImmutable(), escapes.ToImmutable(), handoffs.ToImmutable());
    }

    private static ControlFlowGraph? GetControlFlowGraph(OperationBlockAnalysisContext context, IOperation block)
    {
        // Only executable blocks have a graph: a method body, an expression body, an initializer.
        // Attribute arguments and parameter defaults do not.
        return block.Kind is OperationKind.Block or OperationKind.MethodBody or OperationKind.ConstructorBody
                   or OperationKind.FieldInitializer or OperationKind.PropertyInitializer or OperationKind.ParameterInitializer
            ? context.GetControlFlowGraph(block)
            : null;
    }

    private static IEnumerable<ControlFlowGraph> WithNestedGraphs(ControlFlowGraph root, CancellationToken cancellationToken)
    {
        var pending = new Stack<ControlFlowGraph>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var graph = pending.Pop();
            yield return graph;
            foreach (var localFunction in graph.LocalFunctions)
            {
                pending.Push(graph.GetLocalFunctionControlFlowGraph(localFunction, cancellationToken));
            }

            foreach (var lambda in ViewFlowGraphs.AnonymousFunctions(graph))
            {
                pending.Push(graph.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken));
            }
        }
    }
}

/// <summary>
/// An engine failure, with the member and the place it happened: the build shows it (AD0001 with a
/// location) instead of silently skipping the rest of the method.
/// </summary>
internal sealed class WasmViewAnalysisException : Exception
{
    public WasmViewAnalysisException(ISymbol member, Exception inner)
        : base(Describe(member) + ": " + inner.GetType().Name + ": " + inner.Message, inner)
    {
    }

    private static string Describe(ISymbol member)
    {
        var location = member.Locations.Length > 0 ? member.Locations[0].GetLineSpan() : default;
        var where = location.IsValid
            ? $"{location.Path}({location.StartLinePosition.Line + 1},{location.StartLinePosition.Character + 1})"
            : "an unknown location";
        return $"WasmViewAnalyzers failed while analyzing '{member.ToDisplayString()}' at {where}";
    }
}
