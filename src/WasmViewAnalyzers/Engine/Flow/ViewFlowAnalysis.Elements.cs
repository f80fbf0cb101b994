using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine.Flow;

internal sealed partial class ViewFlowAnalysis
{
    private sealed partial class Evaluator
    {
        /// <summary>
        /// The element of a local array stored last in this block (<c>row[i] = Render(i)</c>), read
        /// back by the same index before anything writes the array or the index
        /// (<c>Blit(row[i])</c>): that read is the stored value, as fresh as it is, not whatever the
        /// array held before. An array is otherwise one container: a later guest call makes every
        /// element read out of it stale. Kept per block (the evaluator is), so no join is needed.
        /// </summary>
        private ElementStore? _lastElementStore;

        private void RememberElementStore(IArrayElementReferenceOperation element, IOperation assigned, ViewValue? value)
        {
            _lastElementStore = null;
            if (element.Indices.Length != 1
                || PlainVariable(element.ArrayReference) is not { } array
                || PlainVariable(element.Indices[0]) is not { } index)
            {
                return;
            }

            // row[i] = Render(i++): the index was read before the value changed it.
            var store = new ElementStore(array, index, value);
            foreach (var part in assigned.DescendantsAndSelf())
            {
                if (MayWrite(part, store))
                {
                    return;
                }
            }

            _lastElementStore = store;
        }

        /// <summary>The element stored last by the same array and index, if <paramref name="element"/> reads it.</summary>
        private bool TryReadStoredElement(IArrayElementReferenceOperation element, out ViewValue? value)
        {
            value = null;
            if (_lastElementStore is not { } store
                || element.Indices.Length != 1
                || !SymbolEqualityComparer.Default.Equals(PlainVariable(element.ArrayReference), store.Array)
                || !SymbolEqualityComparer.Default.Equals(PlainVariable(element.Indices[0]), store.Index))
            {
                return false;
            }

            value = store.Value?.WithReference(element.ArrayReference);
            return true;
        }

        private void AgeElementStore(GuestCall call)
        {
            if (_lastElementStore is { Value: { } value } store)
            {
                _lastElementStore = new ElementStore(store.Array, store.Index, value.MarkStale(call));
            }
        }

        /// <summary>
        /// Forgets the stored element when <paramref name="operation"/> may write its array or index:
        /// an assignment, increment or deconstruction into either, a <c>ref</c> taken to either, either
        /// handed to a method (by <c>ref</c>/<c>out</c>, or the array by value: a callee may store
        /// into it), or a local function or delegate run (it may write captured variables).
        /// </summary>
        private void ForgetElementStoreWrittenBy(IOperation operation)
        {
            if (_lastElementStore is { } store && MayWrite(operation, store))
            {
                _lastElementStore = null;
            }
        }

        /// <summary>
        /// Whether <paramref name="operation"/> may write the array or the index of <paramref name="store"/>:
        /// an assignment, increment or deconstruction into either, a <c>ref</c> or an alias taken to
        /// either (<c>Span&lt;T&gt; s = row</c>), either handed to a method (by <c>ref</c>/<c>out</c>,
        /// or the array by value: a callee may store into it), a lambda handed on, or a local function
        /// or delegate run (it may write what it captured).
        /// </summary>
        private static bool MayWrite(IOperation operation, ElementStore store) => operation switch
        {
            ISimpleAssignmentOperation assignment => Mentions(assignment.Target, store) || (assignment.IsRef ? Mentions(assignment.Value, store) : IsVariable(assignment.Value, store.Array)),
            ICompoundAssignmentOperation compound => Mentions(compound.Target, store),
            IIncrementOrDecrementOperation increment => Mentions(increment.Target, store),
            IDeconstructionAssignmentOperation deconstruction => Mentions(deconstruction.Target, store),
            IInvocationOperation { TargetMethod.MethodKind: MethodKind.LocalFunction or MethodKind.DelegateInvoke } => true,
            IInvocationOperation invocation => HandsOn(invocation.Arguments, store) || (invocation.Instance is { } receiver && IsVariable(receiver, store.Array)),
            IObjectCreationOperation creation => HandsOn(creation.Arguments, store),
            _ => false,
        };

        private static bool HandsOn(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, ElementStore store)
        {
            foreach (var argument in arguments)
            {
                if (argument.Value.WalkDownConversions() is IDelegateCreationOperation or IAnonymousFunctionOperation or IFlowAnonymousFunctionOperation
                    || (argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out ? Mentions(argument.Value, store) : IsVariable(argument.Value, store.Array)))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool Mentions(IOperation operation, ElementStore store)
        {
            foreach (var part in operation.DescendantsAndSelf())
            {
                if (IsVariable(part, store.Array) || IsVariable(part, store.Index))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsVariable(IOperation operation, ISymbol variable)
            => SymbolEqualityComparer.Default.Equals(PlainVariable(operation), variable);

        /// <summary>A local or parameter read by value (not a <c>ref</c> one, which may alias another).</summary>
        private static ISymbol? PlainVariable(IOperation operation) => operation.WalkDownConversions() switch
        {
            ILocalReferenceOperation { Local.RefKind: RefKind.None } local => local.Local,
            IParameterReferenceOperation { Parameter.RefKind: RefKind.None } parameter => parameter.Parameter,
            _ => null,
        };

        private readonly struct ElementStore
        {
            public ElementStore(ISymbol array, ISymbol index, ViewValue? value)
            {
                Array = array;
                Index = index;
                Value = value;
            }

            public ISymbol Array { get; }

            public ISymbol Index { get; }

            public ViewValue? Value { get; }
        }
    }
}
