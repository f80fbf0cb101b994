using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine;

/// <summary>
/// The fields, properties and parameters of the compilation that hold a delegate bound to a guest
/// function (<c>_convert = instance.GetFunction&lt;int, int&gt;("convert")</c> in a constructor,
/// invoked in another method), and the collections such delegates are stored in. Built once per
/// compilation, on first use, from the syntax trees that mention a delegate source.
/// </summary>
internal sealed class GuestDelegateIndex
{
    private static readonly string[] SourceTokens = { "GetFunction", "GetAction", "WrapFunc", "WrapAction", "Wrap" };

    private readonly WasmViewSemantics _semantics;
    private readonly object _gate = new();
    private Result? _result;

    [System.ThreadStatic]
    private static Result? s_building;

    public GuestDelegateIndex(WasmViewSemantics semantics)
    {
        _semantics = semantics;
    }

    public bool Contains(ISymbol symbol, CancellationToken cancellationToken)
        => GetResult(cancellationToken).Holders.Contains(symbol);

    public bool ContainsContainer(ISymbol symbol, CancellationToken cancellationToken)
        => GetResult(cancellationToken).Containers.Contains(symbol);

    /// <summary>The symbol a storage location expression names: <c>_convert</c>, <c>this.exports</c>, <c>exports</c>.</summary>
    public static ISymbol? GetReferencedSymbol(IOperation operation) => operation.WalkDownConversions() switch
    {
        IFieldReferenceOperation field => field.Field.OriginalDefinition,
        IPropertyReferenceOperation { Property.IsIndexer: false } property => property.Property.OriginalDefinition,
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        _ => null,
    };

    private Result GetResult(CancellationToken cancellationToken)
    {
        if (_result is { } done)
        {
            return done;
        }

        // The build asks the semantics whether values are guest delegates, which may come back
        // here: answer from what has been found so far instead of re-entering.
        if (s_building is { } partial)
        {
            return partial;
        }

        lock (_gate)
        {
            if (_result is null)
            {
                var building = new Result();
                s_building = building;
                try
                {
                    Build(building, cancellationToken);
                }
                finally
                {
                    s_building = null;
                }

                _result = building;
            }

            return _result;
        }
    }

    private void Build(Result result, CancellationToken cancellationToken)
    {
        var candidates = new List<(ISymbol Target, IOperation Value, bool IntoContainer)>();
        var compilation = _semantics.Compilation;
        foreach (var tree in compilation.SyntaxTrees)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var text = tree.GetText(cancellationToken).ToString();
            if (!MentionsSource(text))
            {
                continue;
            }

#pragma warning disable RS1030 // A delegate stored in a field may be assigned in any tree.
            var model = compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
            foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes())
            {
                if (node is not (EqualsValueClauseSyntax or AssignmentExpressionSyntax or ArgumentSyntax))
                {
                    continue;
                }

                CollectCandidate(model.GetOperation(node, cancellationToken), candidates);
            }
        }

        var visit = new SummaryVisit();
        for (var round = 0; round < 8; round++)
        {
            var changed = false;
            foreach (var (target, value, intoContainer) in candidates)
            {
                var set = intoContainer ? result.Containers : result.Holders;
                if (!set.Contains(target) && _semantics.IsGuestDelegateValue(value, captures: null, visit, cancellationToken))
                {
                    set.Add(target);
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }
        }
    }

    private static void CollectCandidate(IOperation? operation, List<(ISymbol, IOperation, bool)> candidates)
    {
        // Only delegates can be guest delegates; this keeps the candidates few.
        var value = operation switch
        {
            ISymbolInitializerOperation initializer => initializer.Value,
            IAssignmentOperation assignment => assignment.Value,
            IArgumentOperation argument => argument.Value,
            _ => null,
        };

        if (value?.Type?.TypeKind != TypeKind.Delegate)
        {
            return;
        }

        switch (operation)
        {
            case IFieldInitializerOperation fieldInitializer:
                foreach (var field in fieldInitializer.InitializedFields)
                {
                    candidates.Add((field.OriginalDefinition, fieldInitializer.Value, false));
                }

                break;

            case IPropertyInitializerOperation propertyInitializer:
                foreach (var property in propertyInitializer.InitializedProperties)
                {
                    candidates.Add((property.OriginalDefinition, propertyInitializer.Value, false));
                }

                break;

            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } variableInitializer:
                candidates.Add((declarator.Symbol, variableInitializer.Value, false));
                break;

            case ISimpleAssignmentOperation assignment:
                var target = assignment.Target.WalkDownConversions();
                if (target is IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } indexed })
                {
                    AddContainer(indexed, assignment.Value, candidates);
                }
                else if (target is IArrayElementReferenceOperation element)
                {
                    AddContainer(element.ArrayReference, assignment.Value, candidates);
                }
                else if (GetReferencedSymbol(target) is { } symbol)
                {
                    candidates.Add((symbol, assignment.Value, false));
                }

                break;

            case IArgumentOperation argument:
                if (argument.Parent is IInvocationOperation { Instance: { } receiver, TargetMethod.MethodKind: not MethodKind.DelegateInvoke })
                {
                    // exports.Add("convert", instance.GetFunction<int, int>("convert"))
                    AddContainer(receiver, argument.Value, candidates);
                }

                if (argument.Parameter is { } parameter && parameter.Locations.Length > 0 && parameter.Locations[0].IsInSource)
                {
                    candidates.Add((parameter.OriginalDefinition, argument.Value, false));
                }

                break;
        }
    }

    private static void AddContainer(IOperation container, IOperation value, List<(ISymbol, IOperation, bool)> candidates)
    {
        if (GetReferencedSymbol(container) is { } symbol)
        {
            candidates.Add((symbol, value, true));
        }
    }

    private static bool MentionsSource(string text)
    {
        foreach (var token in SourceTokens)
        {
            if (text.IndexOf(token, System.StringComparison.Ordinal) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private sealed class Result
    {
        public HashSet<ISymbol> Holders { get; } = new(SymbolEqualityComparer.Default);

        public HashSet<ISymbol> Containers { get; } = new(SymbolEqualityComparer.Default);
    }
}
