using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine.Flow;

/// <summary>
/// How a stored value comes back (issue 21, table 3). What holds views is the type model of
/// <see cref="Knowledge.ViewTypeClassifier"/> (collections, dictionaries and their
/// <c>KeyValuePair</c>s, tuples, anonymous types, records, structs and classes holding a view,
/// <c>Nullable</c>, <c>Task</c>, async streams). Whatever reads a part of such a container whose type
/// can hold a view gets the view back, as fresh or stale as the container:
/// <list type="bullet">
/// <item>a member or indexer result (<c>list[0]</c>, <c>map["a"]</c>, <c>pair.Value</c>,
/// <c>nullable.Value</c>, <c>tuple.Ptr</c>, <c>page.Address</c>, <c>queue.Dequeue()</c>,
/// <c>views.First()</c>, <c>map.Values</c>) — the calls partial derives it;</item>
/// <item>an <c>out</c> argument (<c>map.TryGetValue(key, out var p)</c>, <c>TryDequeue</c>, a
/// <c>Deconstruct</c>) — the calls partial derives it;</item>
/// <item>enumeration: the graph lowers <c>foreach</c> and <c>await foreach</c> into
/// <c>GetEnumerator</c>, <c>MoveNext</c> and <c>Current</c>, each a member read; an iterator that
/// yields views is a view source for whoever enumerates it;</item>
/// <item>deconstruction and pattern designations (this file): each variable whose type can hold a view
/// receives it;</item>
/// <item><c>await</c> of a task that carries one (this file).</item>
/// </list>
/// Reading a part that holds no view (a key, a count, <c>HasValue</c>) reads no guest memory.
/// </summary>
internal sealed partial class ViewFlowAnalysis
{
    private sealed partial class Evaluator
    {
        /// <summary>
        /// Whether <paramref name="operation"/> converts an array that can hold views to the non-generic
        /// <c>IEnumerable</c>, as the graph does for a <c>foreach</c> over an array: it enumerates the
        /// array through the non-generic <c>IEnumerable</c> and <c>IEnumerator</c>, whose <c>Current</c>
        /// is an <c>object</c> the loop variable gets back by a conversion. That conversion, the
        /// <c>GetEnumerator</c> called on it and the enumerator's <c>Current</c> carry the array's views
        /// as a generic enumerator's would; nothing else of the loop (<c>MoveNext</c>, the disposal)
        /// reads them.
        /// </summary>
        private bool IsArrayOfViewsAsEnumerable(IOperation? operation)
            => operation is IConversionOperation { IsImplicit: true, Type.SpecialType: SpecialType.System_Collections_IEnumerable, Operand.Type: IArrayTypeSymbol array }
               && Types.CanHoldView(array.ElementType);

        /// <summary><c>GetEnumerator()</c> of an array of views as the graph enumerates it (<see cref="IsArrayOfViewsAsEnumerable"/>).</summary>
        private bool IsArrayOfViewsEnumerator(IInvocationOperation invocation)
            => invocation.IsImplicit
               && invocation.TargetMethod.ContainingType?.SpecialType == SpecialType.System_Collections_IEnumerable
               && invocation.TargetMethod.Name == nameof(System.Collections.IEnumerable.GetEnumerator)
               && IsArrayOfViewsAsEnumerable(invocation.Instance);

        /// <summary>
        /// The non-generic <c>Current</c> of an enumerator that carries views: only the enumerator of an
        /// array of views does (<see cref="IsArrayOfViewsAsEnumerable"/>).
        /// </summary>
        private static bool IsNonGenericCurrent(IPropertyReferenceOperation property)
            => property.IsImplicit
               && property.Property.ContainingType?.SpecialType == SpecialType.System_Collections_IEnumerator
               && property.Property.Name == nameof(System.Collections.IEnumerator.Current);

        /// <summary>
        /// A pattern matched against a view: a list pattern reads its elements, a property pattern
        /// reads what its members read, a designation (<c>is var alias</c>, <c>[.. var rest]</c>,
        /// <c>{ Address: var a }</c>, <c>Page(var address, _)</c>) makes an alias. Type, constant
        /// and relational tests of the view itself read nothing.
        /// </summary>
        private void Match(Operand value, IPatternOperation pattern)
        {
            switch (pattern)
            {
                case IDeclarationPatternOperation declaration:
                    Designate(declaration.DeclaredSymbol, value);
                    break;

                case IListPatternOperation list:
                    Designate(list.DeclaredSymbol, value);
                    var readsElements = false;
                    foreach (var element in list.Patterns)
                    {
                        if (element is ISlicePatternOperation slice)
                        {
                            if (slice.Pattern is { } rest)
                            {
                                Match(value, rest);
                            }
                        }
                        else if (element is not IDiscardPatternOperation)
                        {
                            readsElements = true;
                            KillDesignations(element);
                        }
                    }

                    if (readsElements)
                    {
                        Use(value);
                    }

                    break;

                case IRecursivePatternOperation recursive:
                    Designate(recursive.DeclaredSymbol, value);
                    foreach (var subpattern in recursive.PropertySubpatterns)
                    {
                        MatchMember(value, subpattern);
                    }

                    for (var i = 0; i < recursive.DeconstructionSubpatterns.Length; i++)
                    {
                        var positional = recursive.DeconstructionSubpatterns[i];
                        if (Types.CanHoldView(PositionalType(recursive, i)))
                        {
                            Match(value, positional);
                        }
                        else
                        {
                            KillDesignations(positional);
                        }
                    }

                    break;

                case INegatedPatternOperation negated:
                    Match(value, negated.Pattern);
                    break;

                case IBinaryPatternOperation binary:
                    Match(value, binary.LeftPattern);
                    Match(value, binary.RightPattern);
                    break;
            }
        }

        /// <summary>The type of the <paramref name="index"/>th part a positional pattern deconstructs: a <c>Deconstruct</c>'s out parameter or a tuple's element.</summary>
        private static ITypeSymbol? PositionalType(IRecursivePatternOperation pattern, int index)
            => pattern.DeconstructSymbol switch
            {
                IMethodSymbol deconstruct => index + (deconstruct.IsExtensionMethod ? 1 : 0) < deconstruct.Parameters.Length
                    ? deconstruct.Parameters[index + (deconstruct.IsExtensionMethod ? 1 : 0)].Type
                    : null,
                _ => pattern.MatchedType is INamedTypeSymbol { IsTupleType: true } tuple && index < tuple.TupleElements.Length
                    ? tuple.TupleElements[index].Type
                    : null,
            };

        /// <summary><c>{ Length: > 4 }</c> reads nothing; <c>{ Address: var a }</c> aliases; a member that reads guest memory is a use.</summary>
        private void MatchMember(Operand value, IPropertySubpatternOperation subpattern)
        {
            var member = subpattern.Member switch
            {
                IMemberReferenceOperation reference => reference.Member,
                _ => null,
            };

            if (member is null || value.Value is null)
            {
                KillDesignations(subpattern.Pattern);
                return;
            }

            var memberType = member switch
            {
                IPropertySymbol property => property.Type,
                IFieldSymbol field => field.Type,
                _ => null,
            };

            if (Types.CanHoldView(memberType))
            {
                Match(value, subpattern.Pattern);
                return;
            }

            KillDesignations(subpattern.Pattern);
            if (member is IPropertySymbol { GetMethod: { } getter } && ReadsThroughReceiver(value.Operation, value, getter))
            {
                Use(value);
            }
        }

        private void Designate(ISymbol? symbol, Operand value)
        {
            if (symbol is ILocalSymbol local)
            {
                _state.Set(local, value.Value is not null && Types.CanHoldView(local.Type) ? Effective(value) : null);
            }
        }

        /// <summary>Variables a pattern declares over values read out of the view are copies.</summary>
        private void KillDesignations(IPatternOperation pattern)
        {
            foreach (var operation in pattern.DescendantsAndSelf())
            {
                var symbol = operation switch
                {
                    IDeclarationPatternOperation declaration => declaration.DeclaredSymbol,
                    IRecursivePatternOperation recursive => recursive.DeclaredSymbol,
                    IListPatternOperation list => list.DeclaredSymbol,
                    _ => null,
                };

                if (symbol is not null)
                {
                    _state.Set(symbol, null);
                }
            }
        }

        /// <summary>
        /// <c>await task</c> where the task carries a view (<c>Task&lt;Memory&lt;byte&gt;&gt;</c>): the
        /// result is the view the task completed with, handed over as the method resumes.
        /// </summary>
        private ViewValue? AwaitedResult(IAwaitOperation await, Operand awaited)
            => awaited.Value is not null && Types.CanHoldView(await.Type) ? awaited.Value : null;
    }
}
