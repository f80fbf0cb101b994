using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine;

/// <summary>
/// Answers, for a field, property or parameter of the compilation, whether it holds a delegate
/// bound to a guest function (<c>_convert = instance.GetFunction&lt;int, int&gt;("convert")</c> in a
/// constructor, invoked in another method; <c>Run(instance.GetAction("run"))</c>), and whether a
/// collection holds such delegates (<c>exports["convert"] = ...</c>).
/// </summary>
/// <remarks>
/// Each question is answered on demand, once per symbol, by binding only the places that can assign
/// it: the trees whose text mentions its name, and there only the assignments, initializers and
/// calls that name it. Code that never invokes such a delegate next to a view pays nothing.
/// </remarks>
internal sealed class GuestDelegateIndex
{
    private readonly WasmViewSemantics _semantics;
    private readonly ConcurrentDictionary<ISymbol, bool> _holders = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, bool> _containers = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<SyntaxTree, string> _texts = new();

    public GuestDelegateIndex(WasmViewSemantics semantics)
    {
        _semantics = semantics;
    }

    /// <summary>The symbol a storage location expression names: <c>_convert</c>, <c>this.exports</c>, <c>exports</c>.</summary>
    public static ISymbol? GetReferencedSymbol(IOperation operation) => operation.WalkDownConversions() switch
    {
        IFieldReferenceOperation field => field.Field.OriginalDefinition,
        IPropertyReferenceOperation { Property.IsIndexer: false } property => property.Property.OriginalDefinition,
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter.OriginalDefinition,
        _ => null,
    };

    /// <summary>Whether a guest delegate is stored into <paramref name="symbol"/> anywhere in the compilation.</summary>
    public bool Contains(ISymbol symbol, SummaryVisit visit, CancellationToken cancellationToken)
        => Query(symbol, intoContainer: false, _holders, visit, cancellationToken);

    /// <summary>Whether guest delegates are stored into the collection <paramref name="symbol"/> anywhere in the compilation.</summary>
    public bool ContainsContainer(ISymbol symbol, SummaryVisit visit, CancellationToken cancellationToken)
        => Query(symbol, intoContainer: true, _containers, visit, cancellationToken);

    private bool Query(ISymbol symbol, bool intoContainer, ConcurrentDictionary<ISymbol, bool> cache, SummaryVisit visit, CancellationToken cancellationToken)
    {
        if (!IsInSource(symbol))
        {
            return false;
        }

        return visit.Summarize(
            cache,
            symbol,
            unknown: false,
            conservative: true,
            (Index: this, Symbol: symbol, IntoContainer: intoContainer, CancellationToken: cancellationToken),
            static (state, visit) =>
            {
                foreach (var value in state.Index.AssignedValues(state.Symbol, state.IntoContainer, state.CancellationToken))
                {
                    if (state.Index._semantics.IsGuestDelegateValue(value, captures: null, visit, state.CancellationToken))
                    {
                        return true;
                    }
                }

                return false;
            });
    }

    /// <summary>Every value the compilation stores into <paramref name="symbol"/> (or, for a collection, into its elements).</summary>
    private IEnumerable<IOperation> AssignedValues(ISymbol symbol, bool intoContainer, CancellationToken cancellationToken)
    {
        if (symbol is IParameterSymbol && !intoContainer)
        {
            // step = instance.GetAction<int>("step") inside the method itself.
            foreach (var value in StoredValues(symbol, symbol.Name, isParameter: false, intoContainer, cancellationToken))
            {
                yield return value;
            }
        }

        foreach (var value in StoredValues(symbol, name: null, symbol is IParameterSymbol, intoContainer, cancellationToken))
        {
            yield return value;
        }
    }

    private IEnumerable<IOperation> StoredValues(ISymbol symbol, string? name, bool isParameter, bool intoContainer, CancellationToken cancellationToken)
    {
        // A parameter receives its arguments: look for calls of its method instead of its own name.
        var method = (symbol as IParameterSymbol)?.ContainingSymbol as IMethodSymbol;
        name ??= isParameter ? method is { MethodKind: MethodKind.Constructor } ? method.ContainingType.Name : method?.Name : symbol.Name;
        if (string.IsNullOrEmpty(name))
        {
            yield break;
        }

        var compilation = _semantics.Compilation;
        foreach (var tree in CandidateTrees(isParameter && method is not null ? method : symbol))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var text = _texts.GetOrAdd(tree, t => t.GetText(cancellationToken).ToString());
            if (text.IndexOf(name, System.StringComparison.Ordinal) < 0)
            {
                continue;
            }

#pragma warning disable RS1030 // A delegate stored in a field or passed as an argument may be stored in any tree.
            var model = compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
            foreach (var node in tree.GetRoot(cancellationToken).DescendantNodes())
            {
                if (!Names(node, name!, isParameter, intoContainer))
                {
                    continue;
                }

                // Field and property initializers are operations on their `= value` clause.
                var bound = node switch
                {
                    VariableDeclaratorSyntax { Parent.Parent: BaseFieldDeclarationSyntax, Initializer: { } initializer } => initializer,
                    PropertyDeclarationSyntax { Initializer: { } initializer } => initializer,
                    _ => node,
                };

                foreach (var value in ValuesStoredInto(model.GetOperation(bound, cancellationToken), symbol, intoContainer))
                {
                    yield return value;
                }
            }
        }
    }

    /// <summary>
    /// Where <paramref name="symbol"/> can be assigned (or, for a method, called): a local or a
    /// parameter only in its own tree, a private member only where its type is declared, anything
    /// else anywhere.
    /// </summary>
    private IEnumerable<SyntaxTree> CandidateTrees(ISymbol symbol)
    {
        if (symbol is ILocalSymbol or IParameterSymbol)
        {
            foreach (var reference in symbol.DeclaringSyntaxReferences)
            {
                yield return reference.SyntaxTree;
            }

            yield break;
        }

        var scope = symbol.ContainingType;
        if (symbol.DeclaredAccessibility == Accessibility.Private && scope is not null)
        {
            // A private member is visible to nested types too; they are declared in the same trees.
            var seen = new HashSet<SyntaxTree>();
            foreach (var reference in scope.DeclaringSyntaxReferences)
            {
                if (seen.Add(reference.SyntaxTree))
                {
                    yield return reference.SyntaxTree;
                }
            }

            yield break;
        }

        foreach (var tree in _semantics.Compilation.SyntaxTrees)
        {
            yield return tree;
        }
    }

    /// <summary>A cheap syntactic filter: can <paramref name="node"/> store into something called <paramref name="name"/>?</summary>
    private static bool Names(SyntaxNode node, string name, bool isParameter, bool intoContainer)
    {
        if (isParameter)
        {
            return node switch
            {
                InvocationExpressionSyntax invocation => LastName(invocation.Expression) == name,
                BaseObjectCreationExpressionSyntax creation => creation is ImplicitObjectCreationExpressionSyntax
                                                               || (creation is ObjectCreationExpressionSyntax explicitCreation && LastName(explicitCreation.Type) == name),
                _ => false,
            };
        }

        return node switch
        {
            AssignmentExpressionSyntax assignment => intoContainer
                ? assignment.Left is ElementAccessExpressionSyntax element && LastName(element.Expression) == name
                : LastName(assignment.Left) == name,
            VariableDeclaratorSyntax declarator => !intoContainer && declarator.Initializer is not null && declarator.Identifier.ValueText == name,
            PropertyDeclarationSyntax property => !intoContainer && property.Initializer is not null && property.Identifier.ValueText == name,
            InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } => intoContainer && LastName(access.Expression) == name,
            _ => false,
        };
    }

    private static string? LastName(SyntaxNode node) => node switch
    {
        IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
        GenericNameSyntax generic => generic.Identifier.ValueText,
        MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax aliased => aliased.Name.Identifier.ValueText,
        _ => null,
    };

    private static IEnumerable<IOperation> ValuesStoredInto(IOperation? operation, ISymbol symbol, bool intoContainer)
    {
        switch (operation)
        {
            case IVariableDeclaratorOperation { Initializer: { } initializer } declarator
                when SymbolEqualityComparer.Default.Equals(declarator.Symbol, symbol):
                yield return initializer.Value;
                break;

            case IFieldInitializerOperation fieldInitializer:
                foreach (var field in fieldInitializer.InitializedFields)
                {
                    if (SymbolEqualityComparer.Default.Equals(field.OriginalDefinition, symbol))
                    {
                        yield return fieldInitializer.Value;
                    }
                }

                break;

            case IPropertyInitializerOperation propertyInitializer:
                foreach (var property in propertyInitializer.InitializedProperties)
                {
                    if (SymbolEqualityComparer.Default.Equals(property.OriginalDefinition, symbol))
                    {
                        yield return propertyInitializer.Value;
                    }
                }

                break;

            case IVariableDeclarationGroupOperation or IVariableDeclarationOperation:
                foreach (var declarator in operation.DescendantsAndSelf())
                {
                    if (declarator is IVariableDeclaratorOperation { Initializer: { } initializer } match
                        && SymbolEqualityComparer.Default.Equals(match.Symbol, symbol))
                    {
                        yield return initializer.Value;
                    }
                }

                break;

            case ISimpleAssignmentOperation assignment:
                var target = assignment.Target.WalkDownConversions();
                if (intoContainer)
                {
                    var container = target switch
                    {
                        IPropertyReferenceOperation { Property.IsIndexer: true, Instance: { } indexed } => indexed,
                        IArrayElementReferenceOperation element => element.ArrayReference,
                        _ => null,
                    };

                    if (container is not null && SymbolEqualityComparer.Default.Equals(GetReferencedSymbol(container), symbol))
                    {
                        yield return assignment.Value;
                    }
                }
                else if (SymbolEqualityComparer.Default.Equals(GetReferencedSymbol(target), symbol))
                {
                    yield return assignment.Value;
                }

                break;

            case IInvocationOperation invocation when intoContainer:
                // exports.Add("convert", instance.GetFunction<int, int>("convert"))
                if (invocation.Instance is { } receiver && SymbolEqualityComparer.Default.Equals(GetReferencedSymbol(receiver), symbol))
                {
                    foreach (var argument in invocation.Arguments)
                    {
                        yield return argument.Value;
                    }
                }

                break;

            case IInvocationOperation or IObjectCreationOperation when symbol is IParameterSymbol parameter:
                var arguments = operation is IInvocationOperation call ? call.Arguments : ((IObjectCreationOperation)operation).Arguments;
                foreach (var argument in arguments)
                {
                    if (argument.Parameter is { } target2 && SymbolEqualityComparer.Default.Equals(target2.OriginalDefinition, parameter))
                    {
                        yield return argument.Value;
                    }
                }

                break;
        }
    }

    private static bool IsInSource(ISymbol symbol)
        => symbol.Locations.Length > 0 && symbol.Locations[0].IsInSource;
}
