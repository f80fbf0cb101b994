using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace WasmViewAnalyzers.Engine.Flow;

/// <summary>
/// Where a value goes (issue 21, table 1), applied: assignments, compound assignments,
/// deconstructions and the calls that store through <c>ref</c> arguments, each target classified
/// by <see cref="StoreTargets"/>.
/// </summary>
internal sealed partial class ViewFlowAnalysis
{
    private sealed partial class Evaluator
    {
        private ViewValue? EvaluateStore(IOperation operation)
        {
            switch (operation)
            {
                case IFlowCaptureOperation capture:
                    _state.Set(capture.Id, Evaluate(capture.Value));
                    return null;

                case ISimpleAssignmentOperation assignment:
                    return EvaluateAssignment(assignment);

                case ICompoundAssignmentOperation compound:
                    return EvaluateReadModifyWrite(compound, compound.Target, compound.Value);

                case IIncrementOrDecrementOperation increment:
                    return EvaluateReadModifyWrite(increment, increment.Target, value: null);

                case IDeconstructionAssignmentOperation deconstruction:
                    return EvaluateDeconstruction(deconstruction);

                case IEventAssignmentOperation eventAssignment:
                    return EvaluateEventAssignment(eventAssignment);

                case IReturnOperation @return:
                    var returned = @return.ReturnedValue is null ? null : Evaluate(@return.ReturnedValue);
                    if (@return.ReturnedValue is not null)
                    {
                        EscapesByReturn(@return.ReturnedValue, returned);
                    }

                    return null;

                default:
                    return EvaluateGeneric(operation);
            }
        }

        /// <summary>
        /// The state entry a location is tracked under: locals, parameters, the graph's flow
        /// captures, fields of <c>this</c> and static fields, and the fields behind auto-properties of
        /// those. Members of other objects are followed through their holder instead.
        /// </summary>
        private object? TrackedEntity(IOperation target) => target switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFlowCaptureReferenceOperation capture => capture.Id,
            IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
            IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation } property => Semantics.BackingFieldOf(property.Property),
            IDeclarationExpressionOperation declaration => TrackedEntity(declaration.Expression),
            _ => null,
        };

        private static bool IsRefLocation(IOperation target) => target switch
        {
            ILocalReferenceOperation local => local.Local.IsRef,
            IParameterReferenceOperation parameter => parameter.Parameter.RefKind != RefKind.None,
            _ => false,
        };

        /// <summary>Where the target of a store goes, a capture of a <c>ref</c> local (when the value has side effects) counting as the local.</summary>
        private StoreTargetKind Classify(IOperation target)
        {
            if (target is IFlowCaptureReferenceOperation capture)
            {
                foreach (var captured in _analysis.ResolveCapture(capture.Id))
                {
                    if (IsGuestStorage(captured))
                    {
                        return StoreTargetKind.GuestMemory;
                    }
                }
            }

            return StoreTargets.Classify(target, Semantics, IsOwned);
        }

        private ViewValue? EvaluateAssignment(ISimpleAssignmentOperation assignment)
        {
            var target = assignment.Target;
            if (target is IDeclarationExpressionOperation declarationExpression)
            {
                target = declarationExpression.Expression;
            }

            if (!assignment.IsRef && CapturedLocation(target) is { } location)
            {
                // _frame = new FrameRef { ... }, _rec = _rec with { ... }, _stream ??= ...: the graph
                // captured the field before evaluating the value; the store goes to the field.
                target = location;
            }

            // r = ref view[0] re-binds the ref local itself: a variable, wherever it pointed.
            var kind = assignment.IsRef ? StoreTargetKind.Variable : Classify(target);
            if (TrackedEntity(target) is { } entity)
            {
                var value = Capture(assignment.Value);
                if (kind == StoreTargetKind.GuestMemory)
                {
                    // b = 1 where b is `ref byte b = ref view[0]`: a write through the view.
                    Use(new Operand(target, _state.Get(entity)?.WithReference(target), _calls.Count));
                    Consume(value);
                    return null;
                }

                _state.Set(entity, Store(value, target.Type, assignment.IsRef));
                if (kind == StoreTargetKind.MemberOfThisOrStatic)
                {
                    EscapeByStore(target, value);
                }

                return value.Value;
            }

            switch (target)
            {
                case IPropertyReferenceOperation property:
                    return StoreIntoProperty(assignment, property);

                case IArrayElementReferenceOperation element:
                    // The array itself is only written to here.
                    Evaluate(element.ArrayReference);
                    foreach (var index in element.Indices)
                    {
                        Consume(Capture(index));
                    }

                    // copy[i] = view[i] into a byte[] stores the byte read out of the view, not the view.
                    var stored = Capture(assignment.Value);
                    var kept = stored.Value is { } value && KeepsView(element.Type, stored, value) ? stored.Value : null;
                    RememberElementStore(element, assignment.Value, kept);
                    if (kept is not null)
                    {
                        StoreIntoContainer(element.ArrayReference, stored);
                    }

                    ConsumeUnlessStored(stored, element.Type);
                    EscapeByStore(element, stored);
                    return stored.Value;

                default:
                    var targetOperand = Capture(target);
                    var valueOperand = Capture(assignment.Value);
                    if (kind == StoreTargetKind.GuestMemory && targetOperand.Value is not null && !Types.CanHoldView(target.Type))
                    {
                        // *p = value or p[i] = value: a write through a pointer view.
                        Use(targetOperand);
                    }

                    ConsumeUnlessStored(valueOperand, target.Type);
                    EscapeByStore(target, valueOperand);
                    return valueOperand.Value;
            }
        }

        /// <summary><c>receiver.Property = value</c> and <c>receiver[index] = value</c>: the setter runs with the value.</summary>
        private ViewValue? StoreIntoProperty(ISimpleAssignmentOperation assignment, IPropertyReferenceOperation property)
        {
            var receiver = property.Instance is null ? default : Capture(property.Instance);
            foreach (var argument in property.Arguments)
            {
                Consume(Capture(argument.Value));
            }

            var assigned = Capture(assignment.Value);
            CheckArchiveHandoff(assignment, property, assigned);
            if (property.Property.IsIndexer && Types.IsCollectionOfViews(property.Instance?.Type))
            {
                // outputs[i] = view, cache[key] = view: the collection now holds a view.
                StoreIntoContainer(property.Instance!, assigned);
            }
            else if (receiver.Value is not null && ReadsThroughReceiver(property.Instance!, receiver, property.Property.SetMethod))
            {
                // view[i] = value through a non-ref indexer, or a setter that writes through the view.
                Use(receiver);
            }

            ConsumeUnlessStored(assigned, property.Type);
            if (Semantics.Archives.GetDeferredConsumer(property.Property) is not null)
            {
                // entry.DataStream = view: a hand-off to an archive writer (WVA003), not a store that escapes.
                HandsStaleViewToWriter(assignment, property, assigned);
            }
            else
            {
                EscapeByStore(property, assigned);
            }

            ApplyGuestCall(property);
            return assigned.Value;
        }

        /// <summary>The local (or capture) whose member or element <paramref name="operation"/> is, when the object it holds belongs to the method.</summary>
        private object? OwnedHolderOf(IOperation operation)
            => StoreTargets.HolderOf(operation) is { } holder && IsOwned(holder) ? _analysis.ThroughCapture(holder) : null;

        /// <summary>
        /// Whether the object <paramref name="holder"/> holds belongs to the method: a struct (the
        /// local is its own copy), or an object the method created (<c>new</c>, <c>with</c>, a
        /// collection expression) — not one from elsewhere (a parameter, a call's result such as
        /// <c>(Data)caller.GetData()</c>, a field, a pattern's designation, a <c>foreach</c> item), nor
        /// a variable a lambda captures from the method around it (the lambda runs as a callback,
        /// after that method). A store into a member of an object it does not own leaves the method.
        /// </summary>
        private bool IsOwned(object holder) => _analysis.IsOwned(_analysis.ThroughCapture(holder));

        /// <summary>A collection or array held in a variable of the method receives <paramref name="stored"/> as an element.</summary>
        private void StoreIntoContainer(IOperation container, Operand stored)
        {
            if (stored.Value is not null && TrackedEntity(container.WalkDownConversions()) is { } entity)
            {
                // samples.Add(new Sample { ... }): the graph captured `samples` first; the list is the local.
                entity = _analysis.ThroughCapture(entity);
                _state.Set(entity, ViewValue.Join(_state.Get(entity), Effective(stored)));
            }
        }

        /// <summary>What a location receives: the view itself, or nothing when the value was copied out of it.</summary>
        private ViewValue? Store(Operand value, ITypeSymbol? locationType, bool isRef)
        {
            if (value.Value is null)
            {
                return null;
            }

            if (isRef || Types.CanHoldView(locationType) || (value.Value.IsAddress && IsAddressSizedInteger(locationType)))
            {
                return Effective(value);
            }

            Consume(value);
            return null;
        }

        /// <summary>
        /// <c>target op= value</c> and <c>target++</c>: the target is read, combined (by a
        /// user-defined operator, a method like any other) and written back (through a setter when
        /// it is a property). <c>_handlers += handler</c> stores the delegate.
        /// </summary>
        private ViewValue? EvaluateReadModifyWrite(IOperation operation, IOperation target, IOperation? value)
        {
            var valueOperand = value is null ? default : Capture(value);
            if (target.Type?.TypeKind == TypeKind.Delegate && value is not null)
            {
                // _callbacks += () => ...: the combined delegate is kept where the target is.
                EscapeByStore(target, valueOperand);
            }

            if (TrackedEntity(target) is { } entity && !IsRefLocation(target))
            {
                // p += 4 keeps the pointer a view; total += view[i] reads the view.
                Consume(valueOperand);
                ApplyOperatorCall(operation);
                return _state.Get(entity);
            }

            var targetOperand = Capture(target);
            if (targetOperand.Value is not null && (IsRefLocation(target) || !Types.CanHoldView(target.Type)))
            {
                // view[i]++ or *p += 1: read and write through the view.
                Use(targetOperand);
            }

            Consume(valueOperand);
            ApplyOperatorCall(operation);
            return null;
        }

        /// <summary>A user-defined operator of <c>+=</c> or <c>++</c> runs like any method.</summary>
        private void ApplyOperatorCall(IOperation operation)
        {
            if (MethodsRun.MayRunCode(operation))
            {
                ApplyGuestCall(operation);
            }
        }

        /// <summary>
        /// The variable, field, property or element a flow capture used as an assignment target stands
        /// for, unless it is a location in guest memory (then the store writes through the view).
        /// </summary>
        private IOperation? CapturedLocation(IOperation target)
        {
            if (target is not IFlowCaptureReferenceOperation capture)
            {
                return null;
            }

            IOperation? location = null;
            foreach (var value in _analysis.ResolveCapture(capture.Id))
            {
                if (location is not null
                    || value is not (ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation or IArrayElementReferenceOperation)
                    || IsGuestStorage(value))
                {
                    return null;
                }

                location = value;
            }

            return location;
        }

        /// <summary>
        /// <c>(a, _cursor) = (view, n)</c>: element by element when the value is a tuple literal, each
        /// element stored like a simple assignment; otherwise each variable that can hold a view
        /// receives the whole value (a <c>KeyValuePair</c>'s or record's parts are read back out of
        /// it by its <c>Deconstruct</c>, which runs like any method).
        /// </summary>
        private ViewValue? EvaluateDeconstruction(IDeconstructionAssignmentOperation deconstruction)
        {
            var target = deconstruction.Target is IDeclarationExpressionOperation declaration ? declaration.Expression : deconstruction.Target;
            Deconstruct(target, deconstruction.Value);
            ApplyGuestCall(deconstruction);
            return null;
        }

        private void Deconstruct(IOperation target, IOperation value)
        {
            if (target is ITupleOperation targets && value.WalkDownConversions() is ITupleOperation values && values.Elements.Length == targets.Elements.Length)
            {
                var operands = new List<Operand>();
                foreach (var element in values.Elements)
                {
                    operands.Add(element.WalkDownConversions() is ITupleOperation ? new Operand(element, null, _calls.Count) : Capture(element));
                }

                for (var i = 0; i < targets.Elements.Length; i++)
                {
                    var element = targets.Elements[i] is IDeclarationExpressionOperation declared ? declared.Expression : targets.Elements[i];
                    if (element is ITupleOperation || values.Elements[i].WalkDownConversions() is ITupleOperation)
                    {
                        Deconstruct(element, values.Elements[i]);
                    }
                    else
                    {
                        StoreElement(element, operands[i]);
                    }
                }

                return;
            }

            var whole = Capture(value);
            foreach (var leaf in target.DescendantsAndSelf())
            {
                if (leaf is not (ITupleOperation or IDeclarationExpressionOperation or IDiscardOperation) && leaf.Parent is ITupleOperation or IDeclarationExpressionOperation)
                {
                    StoreElement(leaf, Types.CanHoldView(leaf.Type) ? whole : new Operand(whole.Operation, null, whole.Epoch));
                }
            }
        }

        /// <summary>One variable, field or property of a deconstruction receives <paramref name="value"/>.</summary>
        private void StoreElement(IOperation target, Operand value)
        {
            if (target is IDiscardOperation)
            {
                Consume(value);
                return;
            }

            if (TrackedEntity(target) is { } entity && !IsRefLocation(target))
            {
                _state.Set(entity, Store(value, target.Type, isRef: false));
                if (StoreTargets.Classify(target, Semantics, IsOwned) == StoreTargetKind.MemberOfThisOrStatic)
                {
                    EscapeByStore(target, value);
                }

                return;
            }

            if (InstanceOf(target) is { } instance)
            {
                Consume(Capture(instance));
            }

            ConsumeUnlessStored(value, target.Type);
            EscapeByStore(target, value);
        }

        /// <summary>
        /// A call that stores one argument through another passed by <c>ref</c>: the BCL's
        /// <c>Interlocked.Exchange(ref _current, p)</c>, or a method of the user's that assigns its
        /// <c>ref</c> parameter (<c>Put(ref _slot, p)</c>): the location receives the value as if
        /// assigned there.
        /// </summary>
        private void StoreThroughRefArgument(IOperation location, Operand value)
        {
            if (Effective(value) is not { } stored)
            {
                return;
            }

            var kind = Classify(location);
            if (TrackedEntity(location) is { } entity && kind is StoreTargetKind.Variable or StoreTargetKind.MemberOfThisOrStatic)
            {
                _state.Set(entity, Types.CanHoldView(location.Type) ? stored : null);
                if (kind == StoreTargetKind.MemberOfThisOrStatic)
                {
                    EscapeByStore(location, value);
                }

                return;
            }

            if (kind != StoreTargetKind.GuestMemory)
            {
                EscapeByStore(location, value);
            }
        }
    }
}
