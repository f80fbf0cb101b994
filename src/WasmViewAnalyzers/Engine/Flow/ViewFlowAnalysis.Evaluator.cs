using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine.Flow;

internal sealed partial class ViewFlowAnalysis
{
    /// <summary>
    /// Evaluates the operations of one block in order, over the abstract values of
    /// <see cref="FlowState"/>.
    /// </summary>
    /// <remarks>
    /// The dispatch is <see cref="OperationRoles"/>' table of operation kinds, and each role is
    /// applied through the table of its category (issue 21):
    /// <list type="bullet">
    /// <item><see cref="OperationRole.Stores"/>: where a value goes (<see cref="StoreTargets"/>, the
    /// storing calls of <see cref="EscapeSinks"/> and <see cref="RefArgumentStores"/>): a local holds
    /// it, a member of an object the method holds carries it, anything else keeps it beyond the method
    /// (WVA002), a location in guest memory is written through the view.</item>
    /// <item><see cref="OperationRole.Calls"/> (and every operator, conversion, deconstruction):
    /// what runs (<see cref="MethodsRun"/>): any method run may be a guest call; what it does with
    /// the views it is given is judged by its body when it has one.</item>
    /// <item><see cref="OperationRole.Aliases"/> and the results of calls: how a value comes back
    /// (the reads partial, over the containers of <see cref="ViewTypeClassifier"/>): deriving keeps
    /// the view (a slice, a cast, a pointer, a stream over it, an element or entry read back out of a
    /// collection, tuple, record or <c>Nullable</c>); reading plain data (a length, a key) reads nothing.</item>
    /// <item>Reading is a use: an element read by value, a write through the view, the view passed to
    /// a method that reads it. A use of a possibly stale view is reported at the variable it was read
    /// through. Operands are used when the consuming operation runs, after its later operands: in
    /// <c>Consume(view, convert(1))</c> the view is consumed after the guest call.</item>
    /// </list>
    /// </remarks>
    private sealed partial class Evaluator
    {
        private readonly ViewFlowAnalysis _analysis;
        private readonly FlowState _state;
        private readonly ViewFactSink _facts;
        private readonly List<GuestCall> _calls = new();

        public Evaluator(ViewFlowAnalysis analysis, FlowState state, ViewFactSink facts)
        {
            _analysis = analysis;
            _state = state;
            _facts = facts;
        }

        private ViewTypeClassifier Types => _analysis._semantics.Types;

        private WasmViewSemantics Semantics => _analysis._semantics;

        public void EvaluateStatement(IOperation operation) => Evaluate(operation);

        /// <summary>A view leaving the method through <c>return</c> is read by the caller.</summary>
        public void EscapesByReturn(IOperation returned, ViewValue? value)
        {
            EscapeDelegateByReturn(returned);
            if (value is null)
            {
                return;
            }

            _facts.ViewReturned(value);
            Use(new Operand(returned, value, _calls.Count));
        }

        public ViewValue? Evaluate(IOperation operation)
        {
            _analysis._cancellationToken.ThrowIfCancellationRequested();
            ForgetElementStoreWrittenBy(operation);
            switch (OperationRoles.Of(operation.Kind))
            {
                case OperationRole.Irrelevant:
                    return null;
                case OperationRole.Stores:
                    return EvaluateStore(operation);
                case OperationRole.Calls:
                    return EvaluateCall(operation);
                case OperationRole.Aliases:
                    return EvaluateAlias(operation);
                case OperationRole.Suspends:
                    return EvaluateSuspension(operation);
                case OperationRole.Matches when operation is IIsPatternOperation isPattern:
                    // view[0] is > 0x80 reads the element; the view itself is read only by the pattern.
                    var matched = Capture(isPattern.Value);
                    Consume(matched);
                    Match(matched, isPattern.Pattern);
                    return null;
#if DEBUG
                case OperationRole.LoweredByGraph:
                    // Our own builds (the tests) stop here: the table is wrong about this kind.
                    throw new System.InvalidOperationException(operation.Kind + " was expected to be lowered by the control-flow graph.");
#endif
                default:
                    // Reads (operators, interpolations, ranges), and kinds newer than the table.
                    return EvaluateGeneric(operation);
            }
        }

        // -------------------------------------------------------------- aliases

        private ViewValue? EvaluateAlias(IOperation operation)
        {
            switch (operation)
            {
                case ILocalReferenceOperation local:
                    return local.IsDeclaration ? null : _state.Get(local.Local)?.WithReference(local);

                case IParameterReferenceOperation parameter:
                    return _state.Get(parameter.Parameter)?.WithReference(parameter);

                case IFlowCaptureReferenceOperation capture:
                    return _state.Get(capture.Id);

                case IFieldReferenceOperation field:
                    return EvaluateField(field);

                case IConversionOperation conversion:
                    return EvaluateConversion(conversion);

                case IAddressOfOperation addressOf:
                    return Evaluate(addressOf.Reference);

                case IArrayElementReferenceOperation element:
                    var array = Evaluate(element.ArrayReference);
                    foreach (var index in element.Indices)
                    {
                        Consume(Capture(index));
                    }

                    return TryReadStoredElement(element, out var stored) ? stored : array;

                default:
                    if (operation.Kind == OperationRoles.Spread)
                    {
                        // [.. views]: the elements of the spread collection land in the new one.
                        ViewValue? spread = null;
                        foreach (var child in operation.ChildOperations)
                        {
                            spread = ViewValue.Join(spread, Evaluate(child));
                        }

                        return spread;
                    }

                    if (operation.Kind == OperationKind.ImplicitIndexerReference)
                    {
                        return EvaluateImplicitIndexer(operation);
                    }

                    if (operation.Kind == OperationKind.None
                        && (operation.Syntax is ElementAccessExpressionSyntax or PrefixUnaryExpressionSyntax
                            || operation.Parent?.Syntax.IsKind(SyntaxKind.PointerMemberAccessExpression) == true))
                    {
                        // *p, p[i] and the p of p->Field over a pointer: a reference to guest memory;
                        // whoever consumes it decides whether it is read.
                        ViewValue? pointer = null;
                        foreach (var child in operation.ChildOperations)
                        {
                            pointer ??= Evaluate(child);
                        }

                        return pointer;
                    }

                    return EvaluateGeneric(operation);
            }
        }

        private ViewValue? EvaluateField(IFieldReferenceOperation field)
        {
            if (TrackedEntity(field) is { } entity)
            {
                return _state.Get(entity)?.WithReference(field);
            }

            var instance = field.Instance is null ? null : Evaluate(field.Instance);
            if (instance is null)
            {
                return null;
            }

            // entry.Address of a (nint Address, int Length) view is itself a view, and so is the
            // ref field entry.Value; entry.Length is plain data. But a field of a struct that lives
            // in guest memory (inv.Result where inv is a ref into it) is guest memory: whoever
            // consumes it reads or writes the view.
            return field.Field.RefKind != RefKind.None || Types.CanHoldView(field.Type) || IsGuestStorage(field.Instance!)
                ? instance
                : null;
        }

        private ViewValue? EvaluateImplicitIndexer(IOperation indexer)
        {
            // view[1..3] slices, view[^1] refers to an element: both keep the view.
            ViewValue? result = null;
            var first = true;
            foreach (var child in indexer.ChildOperations)
            {
                var operand = Capture(child);
                if (first)
                {
                    result = Effective(operand);
                    first = false;
                }
                else
                {
                    Consume(operand);
                }
            }

            return result;
        }

        private ViewValue? EvaluateConversion(IConversionOperation conversion)
        {
            var operand = Capture(conversion.Operand);
            if (conversion.OperatorMethod is not null)
            {
                // A user-defined conversion runs code of its own: a method like any other.
                return EvaluateUserDefinedOperator(conversion, new List<Operand> { operand });
            }

            if (operand.Value is null)
            {
                return null;
            }

            var target = conversion.Type;
            if (Types.CanHoldView(target)
                || IsArrayOfViewsAsEnumerable(conversion))
            {
                return Effective(operand)!.AsAddress(false);
            }

            if ((IsAddressLike(conversion.Operand.Type) || operand.Value.IsAddress) && IsAddressSizedInteger(target))
            {
                // (long)pointer: still the view's address.
                return Effective(operand)!.AsAddress(true);
            }

            // (int)view[0] reads guest memory; (long)pointer or (object)pointer does not.
            RememberConvertedView(conversion, operand);
            Consume(operand);
            return null;
        }

        // -------------------------------------------------------------- suspensions

        private ViewValue? EvaluateSuspension(IOperation operation)
        {
            switch (operation)
            {
                case IReturnOperation yield:
                    // The consumer runs between two items, and may call the guest: every view held
                    // across the yield is stale after it. The item itself goes to the consumer: the
                    // iterator hands out a view (read back as the enumerator's Current).
                    if (yield.ReturnedValue is not null)
                    {
                        var item = Capture(yield.ReturnedValue);
                        if (item.Value is { } yielded && CarriesView(item))
                        {
                            _facts.ViewReturned(yielded);
                        }

                        Consume(item);
                    }

                    ApplyGuestCall(_analysis.GetSuspension(yield));
                    return null;

                case IAwaitOperation await:
                    // Other code, guest calls through the same store included, may run while the
                    // method is suspended.
                    var awaited = Capture(await.Operation);
                    Consume(awaited);
                    ApplyGuestCall(_analysis.GetSuspension(await));
                    if (await.Operation.WalkDownConversions() is IInvocationOperation { TargetMethod.Name: "MoveNextAsync", Instance: { } enumerator } moveNext
                        && _analysis.EnumeratedIterator(moveNext) is not null)
                    {
                        // await foreach over an async iterator: the item is fresh when the await completes.
                        RefreshIterated(enumerator);
                    }

                    return AwaitedResult(await, awaited);

                default:
                    return null;
            }
        }

        // -------------------------------------------------------------- operators and everything else

        private ViewValue? EvaluateGeneric(IOperation operation)
        {
            var operands = RentOperands();
            try
            {
                return EvaluateGeneric(operation, operands);
            }
            finally
            {
                ReturnOperands(operands);
            }
        }

        private ViewValue? EvaluateGeneric(IOperation operation, List<Operand> operands)
        {
            foreach (var child in operation.ChildOperations)
            {
                operands.Add(Capture(child));
            }

            if (MethodsRun.MayRunCode(operation))
            {
                // a + b with a user-defined operator: a method of the user's like any other.
                return EvaluateUserDefinedOperator(operation, operands);
            }

            if (operation is IBinaryOperation { OperatorKind: BinaryOperatorKind.Subtract, Type: not IPointerTypeSymbol } && operands.Count == 2 && operands.TrueForAll(o => o.Value is not null))
            {
                // p - memory.GetPointer(): the distance between two addresses is a number (a guest
                // offset), not an address; computing it reads no guest memory. (A pointer less an
                // integer is still a pointer.)
                operands.ForEach(Consume);
                return null;
            }

            var addressArithmetic = operation is IBinaryOperation && IsAddressSizedInteger(operation.Type) && operands.Exists(o => o.Value?.IsAddress == true);
            if (HasView(operands) && (Types.CanHoldView(operation.Type) || addressArithmetic))
            {
                // Pointer arithmetic, tuples of views, collections of views, ...
                var derived = new List<Operand>();
                foreach (var operand in operands)
                {
                    if (operand.Value is not null && CarriesView(operand))
                    {
                        derived.Add(operand);
                    }
                    else
                    {
                        Consume(operand);
                    }
                }

                return Derive(derived)?.AsAddress(addressArithmetic);
            }

            foreach (var operand in operands)
            {
                Consume(operand);
            }

            return null;
        }

        // -------------------------------------------------------------- operands

        internal readonly struct Operand
        {
            public Operand(IOperation operation, ViewValue? value, int epoch)
            {
                Operation = operation;
                Value = value;
                Epoch = epoch;
            }

            public IOperation Operation { get; }

            public ViewValue? Value { get; }

            /// <summary>How many guest calls had run in this block when the operand was evaluated.</summary>
            public int Epoch { get; }
        }

        /// <summary>
        /// An empty list for the operands of one operation, given back by <see cref="ReturnOperands"/>
        /// when that operation is evaluated: nothing keeps such a list, and most operations of a method
        /// are calls and operators evaluated again at every pass over their block.
        /// </summary>
        private List<Operand> RentOperands()
            => _analysis._spareOperandLists.Count > 0 ? _analysis._spareOperandLists.Pop() : new List<Operand>();

        private void ReturnOperands(List<Operand> operands)
        {
            operands.Clear();
            _analysis._spareOperandLists.Push(operands);
        }

        private Operand Capture(IOperation operation) => new(operation, Evaluate(operation), _calls.Count);

        /// <summary>The operand's value now: stale if a guest call ran after it was evaluated, since the first of those calls and until the last.</summary>
        private ViewValue? Effective(Operand operand)
            => operand.Value is { } value && operand.Epoch < _calls.Count ? value.MarkStale(_calls[operand.Epoch]).MarkStale(_calls[_calls.Count - 1]) : operand.Value;

        private ViewValue? Derive(List<Operand> inputs)
        {
            ViewValue? result = null;
            foreach (var input in inputs)
            {
                result = ViewValue.Join(result, Effective(input));
            }

            return result;
        }

        private static bool HasView(List<Operand> operands)
        {
            foreach (var operand in operands)
            {
                if (operand.Value is not null)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>An operand whose value carries the view onward (rather than an element read out of it).</summary>
        private bool CarriesView(Operand operand)
            => operand.Operation.Type is null || Types.CanHoldView(operand.Operation.Type) || operand.Value?.IsAddress == true;

        /// <summary>
        /// A value consumed by an operation that keeps no view: reading an element out of guest
        /// memory is a use; comparing or printing a pointer is not.
        /// </summary>
        private void Consume(Operand operand)
        {
            // An array's non-generic enumerator (IsArrayOfViewsAsEnumerable) carries its views, and
            // moving it along or disposing it reads none, as for a generic one.
            if (operand.Value is { IsAddress: false } value && !Types.CanHoldView(operand.Operation.Type) && operand.Operation.Type is { SpecialType: not SpecialType.System_Collections_IEnumerator })
            {
                // A value read out of guest memory (inv.Result, *p, view[0]) is loaded when its operand
                // is evaluated: a guest call made by a later operand of the same operation
                // (inv.Result - convert(amount)) runs after the read, so the read is judged as it was then.
                if (value.IsStale)
                {
                    Record(operand.Operation, value);
                }
            }
        }

        private void ConsumeUnlessStored(Operand operand, ITypeSymbol? locationType)
        {
            if (!Types.CanHoldView(locationType))
            {
                Consume(operand);
            }
        }

        private void Use(Operand operand)
        {
            // An address held in an integer is printed, compared or passed around without reading
            // guest memory; it is checked when it becomes a pointer again.
            if (operand.Value is { IsAddress: true } && !Types.CanHoldView(operand.Operation.Type))
            {
                return;
            }

            if (Effective(operand) is { IsStale: true } value)
            {
                Record(operand.Operation, value);
            }
        }

        private void Record(IOperation location, ViewValue staleValue, string? name = null)
        {
            _facts.StaleUse(staleValue.LastReference ?? location, staleValue, name);
        }

        // -------------------------------------------------------------- locations

        /// <summary>Whether <paramref name="operation"/> denotes a location in guest memory itself (<see cref="StoreTargets.IsInGuestMemory"/>).</summary>
        private bool IsGuestStorage(IOperation operation) => StoreTargets.IsInGuestMemory(operation, Types);

        private static bool IsAddressSizedInteger(ITypeSymbol? type)
            => type?.SpecialType is SpecialType.System_Int64 or SpecialType.System_UInt64;

        private static bool IsAddressLike(ITypeSymbol? type)
            => type is not null && (type.TypeKind == TypeKind.Pointer || type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr);
    }
}
